// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package nodump keeps this process's memory out of core dumps. The helper
// holds root credentials and tokens in memory; with core dumps on, a crash
// wrote the root secret into the core file several times over. Set, called
// first thing by main in both builds, sets RLIMIT_CORE to 0 (soft and hard:
// nothing in the process can raise it again) and, on Linux, clears the
// dumpable flag (PR_SET_DUMPABLE 0), which also closes /proc/<pid>/mem,
// environ and ptrace to other processes of the same user, as ssh-agent
// does. It costs two system calls.
//
// Children inherit the core limit (an exec provider's command, gpg run by
// pass), not the dumpable flag, which execve resets: the full build, which
// the protocol binary execs, calls Set again.
package nodump
