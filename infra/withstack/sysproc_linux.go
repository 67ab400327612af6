package main

import "syscall"

// commandSysProcAttr gives the command its own process group (so withstack
// can signal all of it) and, should withstack be killed outright, SIGTERM
// from the kernel: its stack is gone with withstack anyway.
func commandSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
