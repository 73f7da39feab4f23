// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package store_test

import (
	"sync"
	"testing"

	"github.com/docker-credential-mint/mint/store"
	"github.com/docker-credential-mint/mint/store/storetest"
)

func TestMemory(t *testing.T) {
	var mu sync.Mutex
	spaces := map[string]*store.Memory{}
	storetest.Run(t, func(t *testing.T, ns string) store.Backend {
		mu.Lock()
		defer mu.Unlock()
		if m, ok := spaces[ns]; ok {
			return m
		}
		m := store.NewMemory()
		spaces[ns] = m
		return m
	})
}
