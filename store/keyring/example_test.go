// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package keyring_test

import (
	"context"
	"fmt"
	"log"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/keyring"
)

// The cmd uses New on macOS and Windows; a JWT larger than one Keychain or
// Credential Manager item is chunked transparently. (In this package's tests
// go-keyring's in-memory mock stands in for the keychain.)
func ExampleNew() {
	b, err := keyring.New("tokens", keyring.Options{})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	err = b.Put(ctx, "registry.example", store.Entry{
		ServerURL: "https://registry.example",
		Username:  "<token>",
		Secret:    "eyJhbGciOiJSUzI1NiJ9...",
	})
	if err != nil {
		log.Fatal(err)
	}
	e, err := b.Get(ctx, "registry.example")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Username)
	// Output: <token>
}
