//go:build unix && !linux

package main

import "syscall"

// commandSysProcAttr gives the command its own process group so withstack
// can signal all of it.
func commandSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
