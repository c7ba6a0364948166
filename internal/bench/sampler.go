package bench

import (
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// opSampler times a few RSA signs every so often during a timed phase, by
// the CPU clock of a thread of its own: the op time under the same load as
// the server's, where the measurements before and after see an idle server.
// On a shared or virtual machine the two can differ by tens of percent.
type opSampler struct {
	stop chan struct{}
	done chan opSample
}

type opSample struct {
	ops int
	cpu time.Duration // thread CPU time of the ops
}

const (
	sampleEvery = 250 * time.Millisecond
	sampleBatch = 4 // about 2 % of one core
)

func startSampler(key *rsa.PrivateKey) *opSampler {
	s := &opSampler{stop: make(chan struct{}), done: make(chan opSample, 1)}
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		digest := md5.Sum([]byte("oid_partner=201408071000001539&sign_type=RSA"))
		var total opSample
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			t0, ok0 := threadCPU()
			for range sampleBatch {
				_, _ = rsa.SignPKCS1v15(rand.Reader, key, crypto.MD5, digest[:])
			}
			if t1, ok1 := threadCPU(); ok0 && ok1 {
				total.ops += sampleBatch
				total.cpu += t1 - t0
			}
			select {
			case <-s.stop:
				s.done <- total
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// finish stops the sampler and returns what it measured.
func (s *opSampler) finish() opSample {
	close(s.stop)
	return <-s.done
}

// threadCPU is the calling thread's CPU time (Linux
// CLOCK_THREAD_CPUTIME_ID); false where that clock is not available.
func threadCPU() (time.Duration, bool) {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
