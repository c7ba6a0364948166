package faulttest

import "syscall"

// sysProcAttr kills the server with the driver: a crash test that dies must
// not leave servers behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
