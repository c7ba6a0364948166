// Package bench is llgate's load engine. It provisions its own merchant
// through the admin API, pre-builds signed (and, for the bind apply, sealed)
// requests for distinct users and cards before the clock starts, fires them
// at a running server with a fixed number of workers, and relates the
// server's CPU time per request to the RSA-2048 private operations each path
// cannot avoid: the crypto share. A share near 100 % means the server spends
// its time on cryptography it must do, not on overhead.
package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/adminclient"
)

// Config is one bench run.
type Config struct {
	BaseURL    string // the server, e.g. http://127.0.0.1:8080
	AdminToken string
	// Paths are run one after another; nil means every path.
	Paths []string
	// Duration is the timed phase of each path when Requests is 0.
	Duration time.Duration
	// Requests, when positive, fixes the number of timed requests per path
	// instead of Duration.
	Requests    int
	Concurrency int
	// ServerCPU returns the server process's cumulative CPU time (user +
	// system); nil leaves server CPU and crypto share unmeasured.
	ServerCPU func() (time.Duration, error)
	// ServerLimits is the server's --limits setting, recorded as given.
	ServerLimits string
	// ServerNote describes the server (store, durability), recorded as given.
	ServerNote string
	// EnvelopeHMACSkipped says the server runs with --envelope-hmac skip
	// (gateway mode only): the bind apply then has 2 unavoidable private
	// operations instead of 3.
	EnvelopeHMACSkipped bool
	// RSAOps is how many signs and decryptions each RSA measurement times;
	// 0 means 300.
	RSAOps int
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Report is the result of a run, written as JSON by --json.
type Report struct {
	StartedAt    time.Time `json:"started_at"`
	URL          string    `json:"url"`
	GoVersion    string    `json:"go_version"`
	CPUs         int       `json:"cpus"`
	GOMAXPROCS   int       `json:"gomaxprocs"`
	Concurrency  int       `json:"concurrency"`
	ServerLimits string    `json:"server_limits"`
	ServerNote   string    `json:"server_note,omitempty"`
	// RSA is the RSA-2048 private-operation time measured in this process.
	RSA RSAReport `json:"rsa"`
	// LoadAvg is the 1-minute load average at the start and the end (Linux;
	// empty elsewhere): above the CPU count, other work shared the machine.
	LoadAvg [2]string    `json:"load_avg"`
	Paths   []PathResult `json:"paths"`
}

// RSAReport sums up the RSA measurements, taken right before and right
// after each path's timed phase.
type RSAReport struct {
	Before RSATime `json:"before"` // before the first timed phase
	After  RSATime `json:"after"`  // after the last
	// OpMicros is the mean of the paths' op times.
	OpMicros float64 `json:"op_us"`
}

// PathResult is one path's timed phase.
type PathResult struct {
	Path     string `json:"path"`
	Route    string `json:"route"`
	Requests int    `json:"requests"`
	// Errors counts answers other than the path's success code, by
	// ret_code; "transport" counts requests that got no answer.
	Errors     map[string]int `json:"errors"`
	ErrorCount int            `json:"error_count"`
	ElapsedSec float64        `json:"elapsed_s"`
	Throughput float64        `json:"throughput_per_s"`
	P50Millis  float64        `json:"p50_ms"`
	P99Millis  float64        `json:"p99_ms"`
	// ServerCPUMicros is the server process's CPU time per request (0 when
	// unmeasured); ClientCPUMicros is this process's.
	ServerCPUMicros float64 `json:"server_cpu_us_per_req"`
	ClientCPUMicros float64 `json:"client_cpu_us_per_req"`
	UnavoidableOps  int     `json:"unavoidable_private_ops"`
	// OpMicros is the mean sign CPU time of the RSA measurements right
	// before and right after this timed phase (RSABefore, RSAAfter): a
	// PKCS#1 v1.5 sign and an OAEP decryption are the same CRT private
	// operation. Measuring around each phase follows the machine's drift.
	OpMicros  float64 `json:"op_us"`
	RSABefore RSATime `json:"rsa_before"`
	RSAAfter  RSATime `json:"rsa_after"`
	// CryptoShare is UnavoidableOps × OpMicros ÷ ServerCPUMicros, as a
	// fraction (0.8 is 80 %); 0 when server CPU is unmeasured.
	CryptoShare float64 `json:"crypto_share"`
	// OpUnderLoadMicros is the sign CPU time sampled during the timed
	// phase (a few signs every 250 ms on a thread of their own), and
	// CryptoShareUnderLoad the share computed with it. Where the two shares
	// differ, the machine ran the server's RSA slower under load than idle
	// (other tenants, shared caches): the under-load figure is the closer.
	OpUnderLoadMicros    float64 `json:"op_under_load_us"`
	CryptoShareUnderLoad float64 `json:"crypto_share_under_load"`
	// DistinctRequests is how many of the requests were different bodies:
	// the bind list cycles through its users; the card-BIN query starts
	// again from its first card if its pre-built ones run out.
	DistinctRequests int `json:"distinct_requests"`
	// Exhausted is true when the bind apply's pre-built requests ran out
	// before Duration: the timed phase ended early.
	Exhausted bool `json:"exhausted,omitempty"`
	// RateLimited counts answers 9903: the server runs with its rate
	// limits on, so part of the requests cost it almost nothing and the
	// crypto share is not computed (it would read above 100 %).
	RateLimited int `json:"rate_limited,omitempty"`
}

// path describes what a bench path sends and what it must answer.
type path struct {
	name    string
	route   string
	success string
	ops     int // private operations the server cannot avoid
	// repeatable: sending a request again costs the server the same. Not
	// so for a bind apply, whose repeat is a resend of the live token.
	repeatable bool
}

// Paths lists the bench paths in their default order.
var Paths = []string{"bind-apply", "bind-list", "card-bin"}

func lookupPath(name string, hmacSkipped bool) (path, error) {
	switch name {
	case "bind-apply":
		// Unwrap the AES key, sign the answer, and unwrap the HMAC key
		// when the HMAC is checked (always in the sandbox).
		ops := 3
		if hmacSkipped {
			ops = 2
		}
		return path{name, client.PathBindApply, "8888", ops, false}, nil
	case "bind-list":
		return path{name, client.PathBindList, "0000", 1, true}, nil
	case "card-bin":
		return path{name, client.PathCardBin, "0000", 1, true}, nil
	case "pay-apply":
		// As bind-apply: unwrap the AES key, the HMAC key (when checked)
		// and sign the answer.
		ops := 3
		if hmacSkipped {
			ops = 2
		}
		return path{name, client.PathPayApply, "8888", ops, false}, nil
	case "pay-verify":
		// Sign the answer and sign the payment notification.
		return path{name, client.PathPayVerify, "0000", 2, false}, nil
	case "payout":
		// As pay-apply: unwrap the AES key, the HMAC key (when checked)
		// and sign the answer.
		ops := 3
		if hmacSkipped {
			ops = 2
		}
		return path{name, payoutPath, "0000", ops, false}, nil
	case "junk":
		// A body that is not JSON and an unknown merchant, in turn: their
		// failure answers must cost no private operation at all.
		return path{name, client.PathCardBin, "1012|3001", 0, true}, nil
	}
	return path{}, fmt.Errorf("bench: unknown path %q (want %s, pay-apply, pay-verify, payout, junk)", name, strings.Join(Paths, ", "))
}

// Run provisions a merchant on the server at cfg.BaseURL and benches each
// path in turn.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.Requests <= 0 && cfg.Duration <= 0 {
		return nil, errors.New("bench: need a duration or a request count")
	}
	if cfg.RSAOps <= 0 {
		cfg.RSAOps = 300
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if len(cfg.Paths) == 0 {
		cfg.Paths = Paths
	}
	var paths []path
	for _, name := range cfg.Paths {
		p, err := lookupPath(name, cfg.EnvelopeHMACSkipped)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}

	hc := newHTTPClient(cfg.Concurrency)
	defer hc.CloseIdleConnections()
	// The merchant key is fresh: the RSA measurements time its private
	// operations.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	adm := &adminclient.Client{URL: strings.TrimSuffix(cfg.BaseURL, "/"), Token: cfg.AdminToken, HTTP: hc}
	platform, err := platformKey(ctx, adm)
	if err != nil {
		return nil, err
	}
	m, err := provision(ctx, adm, key, platform)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Log, "bench: merchant %s provisioned\n", m.oid)
	ids, err := newIdentities()
	if err != nil {
		return nil, err
	}

	rep := &Report{
		StartedAt: time.Now().UTC(), URL: adm.URL, GoVersion: runtime.Version(),
		CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Concurrency: cfg.Concurrency,
		ServerLimits: cfg.ServerLimits, ServerNote: cfg.ServerNote,
	}
	rep.LoadAvg[0] = loadAvg()
	var timed []timedPhase
	for _, p := range paths {
		fmt.Fprintf(cfg.Log, "bench: %s: preparing\n", p.name)
		ph, err := runPath(ctx, cfg, hc, m, ids, p)
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", p.name, err)
		}
		fmt.Fprintf(cfg.Log, "bench: %s: %d requests in %.1f s\n", p.name, ph.fired.requests(), ph.fired.elapsed.Seconds())
		timed = append(timed, ph)
	}
	rep.LoadAvg[1] = loadAvg()
	rep.RSA.Before, rep.RSA.After = timed[0].rsa[0], timed[len(timed)-1].rsa[1]
	for _, ph := range timed {
		r := ph.result(cfg.ServerCPU != nil)
		rep.RSA.OpMicros += r.OpMicros / float64(len(timed))
		rep.Paths = append(rep.Paths, r)
	}
	return rep, nil
}

func newHTTPClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			Proxy:               nil, // loopback: never through a proxy
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        2 * concurrency,
			MaxIdleConnsPerHost: concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}
