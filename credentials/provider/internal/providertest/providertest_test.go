// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package providertest

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps what Errorf and Fatal report instead
// of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Errorf(f string, args ...any) { r.errs = append(r.errs, fmt.Sprintf(f, args...)) }
func (r *recorder) Fatal(args ...any)            { r.errs = append(r.errs, fmt.Sprint(args...)) }

func TestCrossHost_Check_followedRedirect(t *testing.T) {
	other := NewCrossHost(t, `{"access_token":"stolen"}`)
	srv := httptest.NewServer(other.Redirect("/token"))
	defer srv.Close()
	// A plain client follows the redirect: the other host gets the request.
	resp, err := http.Get(srv.URL + "/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rec := &recorder{TB: t}
	other.Check(rec, nil)
	if len(rec.errs) != 2 {
		t.Errorf("Check of a followed redirect reported %q, want no error and a request", rec.errs)
	}
	rec = &recorder{TB: t}
	// Not the refusal, the query and a secret in it, and the request above.
	other.Check(rec, errors.New("refused: "+leakQuery+" hunter2"), "hunter2")
	if len(rec.errs) != 4 {
		t.Errorf("Check of a leaky error reported %q, want 4 findings", rec.errs)
	}
}

func TestDeadline(t *testing.T) {
	rec := &recorder{TB: t}
	Deadline(rec, func(string, time.Duration) error { return nil })
	if len(rec.errs) != 1 {
		t.Errorf("Deadline with no error reported %q, want one", rec.errs)
	}
	err := Deadline(t, func(url string, timeout time.Duration) error {
		_, err := (&http.Client{Timeout: timeout}).Get(url)
		return err
	})
	t.Logf("client error: %v", err)
}
