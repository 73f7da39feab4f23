// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package command

import (
	"errors"
	"io"
	"os"
	"syscall"
	"time"
)

// collector gathers what a command writes on stdout or stderr through a
// pipe of its own (not one that os/exec copies from), so that once the
// command has exited, what it wrote can be taken at once even when a child
// it left running still holds the pipe open: the command's writes are all
// in the pipe by the time it has exited.
type collector struct {
	buf  capped
	r, w *os.File
	done chan struct{}
}

func newCollector(max int) (*collector, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	c := &collector{buf: capped{max: max}, r: r, w: w, done: make(chan struct{})}
	go c.read()
	return c, nil
}

// writer is what the command's stdout or stderr is set to.
func (c *collector) writer() io.Writer { return c.w }

// started closes this process's copy of the write end, once the command
// has its own (or failed to start).
func (c *collector) started() { c.w.Close() }

// finish returns what the command wrote, once it has exited: everything
// up to the end of the pipe or, when a child of the command keeps the pipe
// open, everything in it now.
func (c *collector) finish() *capped {
	_ = c.r.SetReadDeadline(time.Now()) // wakes read if it waits for more
	<-c.done
	c.r.Close()
	return &c.buf
}

func (c *collector) read() {
	defer close(c.done)
	b := make([]byte, 32<<10)
	for {
		n, err := c.r.Read(b)
		c.buf.Write(b[:n])
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.drain(b)
		}
		return
	}
}

// drain reads what the pipe holds without waiting for more: the command
// has exited, and what a child of it writes later is not its output.
func (c *collector) drain(b []byte) {
	if c.r.SetReadDeadline(time.Time{}) != nil {
		return
	}
	rc, err := c.r.SyscallConn()
	if err != nil {
		return
	}
	for total := 0; total <= c.buf.max; {
		var n int
		var rerr error
		if rc.Read(func(fd uintptr) bool {
			n, rerr = syscall.Read(int(fd), b)
			return true // never wait
		}) != nil || rerr != nil || n <= 0 {
			return
		}
		c.buf.Write(b[:n])
		total += n
	}
}
