// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

//go:build unix

package command

import (
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
)

// killGroup makes cmd a process group leader, kills the whole group when
// its context ends, and (on Linux and FreeBSD) has the kernel kill the
// command when this process dies, however it dies: a token command is
// often a script whose children would otherwise outlive it and hold its
// stdout open, and a helper killed mid-get must not leave it running.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(cmd.SysProcAttr)
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// exitSignals are the signals that end this process by default and that
// can be caught: on one of them, the running commands' groups are killed
// before the process dies of it. (SIGKILL cannot be caught; Pdeathsig
// covers the command itself, not its children.)
var exitSignals = []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM}

// groups are the process groups of the commands running now, and the
// signal channel that is registered while there are any.
var groups struct {
	sync.Mutex
	live map[int]bool
	sigs chan os.Signal
	stop chan struct{}
}

// track records pgid as running until the returned func is called. While
// any group is tracked, exitSignals that are not ignored are caught: the
// groups are killed and the signal is raised again, so that this process
// still dies of it (or whoever else listens for it still gets it).
func track(pgid int) (untrack func()) {
	groups.Lock()
	defer groups.Unlock()
	if groups.live == nil {
		groups.live = map[int]bool{}
	}
	groups.live[pgid] = true
	if groups.sigs == nil {
		var catch []os.Signal
		for _, s := range exitSignals {
			if !signal.Ignored(s) {
				catch = append(catch, s)
			}
		}
		sigs, stop := make(chan os.Signal, 1), make(chan struct{})
		signal.Notify(sigs, catch...)
		groups.sigs, groups.stop = sigs, stop
		go watch(sigs, stop)
	}
	return func() {
		groups.Lock()
		defer groups.Unlock()
		delete(groups.live, pgid)
		if len(groups.live) == 0 && groups.sigs != nil {
			signal.Stop(groups.sigs)
			close(groups.stop)
			groups.sigs, groups.stop = nil, nil
		}
	}
}

// watch waits for one of exitSignals or stop.
func watch(sigs chan os.Signal, stop chan struct{}) {
	select {
	case <-stop:
		return
	case s := <-sigs:
		groups.Lock()
		for pgid := range groups.live {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		if groups.sigs == sigs {
			signal.Stop(sigs)
			close(groups.stop)
			groups.sigs, groups.stop = nil, nil
		}
		groups.Unlock()
		if sig, ok := s.(syscall.Signal); ok {
			_ = syscall.Kill(os.Getpid(), sig)
		}
	}
}
