//go:build unix && !linux

package devstack

import "syscall"

// sysProcAttr puts the emulator in its own process group. Without Linux's
// Pdeathsig, a parent killed with SIGKILL leaves the emulators running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
