// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package store

import (
	"context"
	"fmt"
	"sync"
)

// Memory is a Backend held in memory, for tests and for callers that want
// nothing persisted.
type Memory struct {
	mu sync.Mutex
	m  map[string]Entry
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty in-memory Backend.
func NewMemory() *Memory { return &Memory{m: map[string]Entry{}} }

// Get implements Backend.
func (s *Memory) Get(_ context.Context, key string) (Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return Entry{}, fmt.Errorf("memory: %w", ErrNotFound)
	}
	return e, nil
}

// Put implements Backend.
func (s *Memory) Put(_ context.Context, key string, e Entry) error {
	if err := Check(e); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = e
	return nil
}

// Delete implements Backend.
func (s *Memory) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; !ok {
		return fmt.Errorf("memory: %w", ErrNotFound)
	}
	delete(s.m, key)
	return nil
}

// List implements Backend.
func (s *Memory) List(_ context.Context) (map[string]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Entry, len(s.m))
	for k, e := range s.m {
		e.Secret = ""
		out[k] = e
	}
	return out, nil
}
