package bench

import (
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"runtime"
	"time"
)

// RSATime is the mean cost of one RSA private operation, measured in this
// process on one locked thread while the server is idle. The CPU times are
// what the crypto share uses: the server's side of the ratio is CPU time
// too, and CPU time does not grow when other processes compete for the
// cores the way wall time does.
type RSATime struct {
	N int `json:"n"`
	// SignMicros is rsa.SignPKCS1v15 with MD5 (sign_type RSA): what the
	// server does to sign every answer.
	SignMicros     float64 `json:"sign_cpu_us"`
	SignWallMicros float64 `json:"sign_wall_us"`
	// DecryptMicros is rsa.DecryptOAEP with SHA-1: what the server does to
	// unwrap each envelope key.
	DecryptMicros     float64 `json:"decrypt_cpu_us"`
	DecryptWallMicros float64 `json:"decrypt_wall_us"`
}

func measureRSA(key *rsa.PrivateKey, n int) (RSATime, error) {
	digest := md5.Sum([]byte("oid_partner=201408071000001539&sign_type=RSA"))
	wrapped, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, &key.PublicKey, []byte("0123456789ABCDEFGHIJKLMNOPQRSTUV"), nil)
	if err != nil {
		return RSATime{}, err
	}
	sign := func() error {
		_, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.MD5, digest[:])
		return err
	}
	decrypt := func() error {
		_, err := rsa.DecryptOAEP(sha1.New(), nil, key, wrapped, nil)
		return err
	}
	r := RSATime{N: n}
	if r.SignMicros, r.SignWallMicros, err = timeOp(sign, n); err != nil {
		return RSATime{}, err
	}
	if r.DecryptMicros, r.DecryptWallMicros, err = timeOp(decrypt, n); err != nil {
		return RSATime{}, err
	}
	return r, nil
}

// timeOp returns the mean CPU and wall time of op in microseconds, after
// one untimed call so neither includes a cold start. The CPU time is the
// calling thread's (locked to it), so that the garbage collector and other
// goroutines of this process, busy after building thousands of requests,
// are not counted as RSA work; where that clock is missing it is the
// process's.
func timeOp(op func() error, n int) (cpu, wall float64, err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	clock := func() (time.Duration, error) {
		if t, ok := threadCPU(); ok {
			return t, nil
		}
		return selfCPU()
	}
	if err := op(); err != nil {
		return 0, 0, err
	}
	cpu0, err := clock()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	for range n {
		if err := op(); err != nil {
			return 0, 0, err
		}
	}
	w := time.Since(start)
	cpu1, err := clock()
	if err != nil {
		return 0, 0, err
	}
	return micros(cpu1-cpu0) / float64(n), micros(w) / float64(n), nil
}
