// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package file_test

import (
	"context"
	"fmt"
	"os"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/file"
)

func ExampleNew() {
	dir, _ := os.MkdirTemp("", "mint-example-")
	defer os.RemoveAll(dir)

	// The key is <dir>/key, made on the first write. The command sets
	// Options.KeyFile from DOCKER_CREDENTIAL_MINT_FILE_KEY_FILE, e.g. a CI
	// secret: file.New(dir, "mint", file.Options{KeyFile: path}).
	s, err := file.New(dir, "mint")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	err = s.Put(ctx, "registry.example.com", store.Entry{
		ServerURL: "https://registry.example.com",
		Username:  "ci-bot",
		Secret:    "s3cret",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	e, _ := s.Get(ctx, "registry.example.com")
	fmt.Println(e.Username, e.Secret)
	list, _ := s.List(ctx)
	fmt.Printf("%q\n", list["registry.example.com"].Secret)
	// Output:
	// ci-bot s3cret
	// ""
}
