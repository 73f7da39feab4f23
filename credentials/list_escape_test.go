// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/docker-credential-mint/mint/store"
)

// TestHandleCommand_listEscapesControlCharacters: list's answer, which a
// user may read on a terminal, carries a stored username's ESC sequence
// and newline escaped (as encoding/json writes them), and decodes back to
// the stored value.
func TestHandleCommand_listEscapesControlCharacters(t *testing.T) {
	ctx := context.Background()
	h := NewHelper(store.NewMemory())
	user := "me\x1b[1A\x1b[2K\r\n\"ghcr.io\":\"admin\"\t\x00\x7f"
	in, _ := json.Marshal(Credentials{ServerURL: "quay.io", Username: user, Secret: "s3cret"})
	if err := HandleCommand(ctx, h, ActionStore, bytes.NewReader(in), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := HandleCommand(ctx, h, ActionList, strings.NewReader("unused"), &out); err != nil {
		t.Fatal(err)
	}
	want := `{"quay.io":"me\u001b[1A\u001b[2K\r\n\"ghcr.io\":\"admin\"\t\u0000` + "\x7f" + `"}` + "\n"
	if out.String() != want {
		t.Errorf("list = %q, want %q", out.String(), want)
	}
	if bytes.ContainsAny(bytes.TrimSuffix(out.Bytes(), []byte("\n")), "\x1b\r\n\t\x00") {
		t.Errorf("list printed a control character raw: %q", out.String())
	}
	var m map[string]string
	if err := json.Unmarshal(out.Bytes(), &m); err != nil || m["quay.io"] != user {
		t.Errorf("list decodes to %q, %v; want the stored username", m, err)
	}
}
