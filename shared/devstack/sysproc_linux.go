package devstack

import "syscall"

// sysProcAttr puts the emulator in its own process group and, as a backstop
// for a parent that dies without calling Stop (SIGKILL, crash), has the
// kernel kill it when the parent goes away. Pdeathsig fires when the thread
// that started the child exits; Go only ends threads of goroutines that
// locked them, which Start never does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
