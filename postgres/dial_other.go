//go:build !linux

package postgres

import (
	"syscall"
	"time"
)

// setUserTimeout does nothing where TCP_USER_TIMEOUT is not available: the
// keep-alive probes and the callers' deadlines remain.
func setUserTimeout(syscall.RawConn, time.Duration) error { return nil }
