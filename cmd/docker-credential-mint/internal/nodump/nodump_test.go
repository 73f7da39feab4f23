// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package nodump

import "testing"

// BenchmarkSet is the start-up cost Set adds to every helper process,
// system calls included (callgrind counts only the user-space part). It
// leaves the benchmark's process without core dumps.
func BenchmarkSet(b *testing.B) {
	for b.Loop() {
		if err := Set(); err != nil {
			b.Fatal(err)
		}
	}
}
