package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/llgate/llgate/client"
)

const (
	// listUsers is how many users with one agreement each the bind-list
	// path queries in turn. Their bodies are pre-built once: a PKCS#1 v1.5
	// signature is deterministic, so building one per request would give
	// the same bytes.
	listUsers = 200
	// maxPrebuilt bounds memory: a sealed bind apply is about 2 KiB.
	maxPrebuilt = 300_000
	// sizeMargin over the warm-up rate, so the pre-built requests outlast
	// the duration even if the server speeds up after the warm-up. Paths
	// that may repeat requests start again from the first if they do not;
	// the bind apply stops early (PathResult.Exhausted).
	sizeMargin = 2
)

// timedPhase is what runPath measured, before the RSA op time is known.
type timedPhase struct {
	p         path
	fired     fireResult
	serverCPU time.Duration
	clientCPU time.Duration
	rsa       [2]RSATime // right before and right after
	sampled   opSample   // during
	distinct  int
	exhausted bool
}

// runPath warms the path up, pre-builds its requests, and fires them.
func runPath(ctx context.Context, cfg Config, hc *http.Client, m *merchant, ids *identities, p path) (timedPhase, error) {
	build, distinct, err := source(ctx, cfg, hc, m, ids, p)
	if err != nil {
		return timedPhase{}, err
	}
	url := strings.TrimSuffix(cfg.BaseURL, "/") + p.route

	warm := max(16*cfg.Concurrency, 128)
	if cfg.Requests > 0 {
		warm = min(warm, max(cfg.Requests/4, cfg.Concurrency))
	}
	warm, _ = payCaps(p, distinct, warm, warm)
	bodies, err := prebuild(0, warm, build)
	if err != nil {
		return timedPhase{}, err
	}
	w := fire(ctx, hc, url, bodies, shot{concurrency: cfg.Concurrency, limit: warm}, p.success)
	if err := ctx.Err(); err != nil {
		return timedPhase{}, err
	}
	if n := w.errors["9903"]; n > 0 {
		return timedPhase{}, fmt.Errorf("warm-up: %d of %d requests answered 9903: the server runs with its rate limits on; start it with --throttle off to bench it", n, w.requests())
	}
	if len(w.errors) > 0 {
		return timedPhase{}, fmt.Errorf("warm-up: %d of %d requests failed: %s", w.errorCount(), w.requests(), formatErrors(w.errors))
	}
	if err := verifyAnswer(m, p.route, w.sample); err != nil {
		return timedPhase{}, fmt.Errorf("warm-up answer: %w", err)
	}

	n := cfg.Requests
	if n <= 0 {
		rate := float64(w.requests()) / w.elapsed.Seconds()
		n = int(rate*cfg.Duration.Seconds()*sizeMargin) + cfg.Concurrency
		n = min(max(n, warm), maxPrebuilt)
	}
	_, n = payCaps(p, distinct, warm, n)
	size := n
	if distinct > 0 {
		size = min(n, distinct) // the distinct bodies, sent again and again
	}
	t0 := time.Now()
	if bodies, err = prebuild(warm, size, build); err != nil {
		return timedPhase{}, err
	}
	fmt.Fprintf(cfg.Log, "bench: %s: warm-up %.0f req/s; built %d requests in %.1f s\n",
		p.name, float64(w.requests())/w.elapsed.Seconds(), size, time.Since(t0).Seconds())
	// Collect the building's garbage now, not during the timed phase.
	runtime.GC()

	rsaBefore, err := measureRSA(m.key, cfg.RSAOps)
	if err != nil {
		return timedPhase{}, err
	}
	sh := shot{concurrency: cfg.Concurrency, limit: cfg.Requests, wrap: p.repeatable}
	if cfg.Requests <= 0 {
		sh.deadline = time.Now().Add(cfg.Duration)
	}
	srv0, err := serverCPU(cfg)
	if err != nil {
		return timedPhase{}, err
	}
	self0, err := selfCPU()
	if err != nil {
		return timedPhase{}, err
	}
	sampler := startSampler(m.key)
	f := fire(ctx, hc, url, bodies, sh, p.success)
	sampled := sampler.finish()
	self1, err := selfCPU()
	if err != nil {
		return timedPhase{}, err
	}
	srv1, err := serverCPU(cfg)
	if err != nil {
		return timedPhase{}, err
	}
	if err := ctx.Err(); err != nil {
		return timedPhase{}, err
	}
	rsaAfter, err := measureRSA(m.key, cfg.RSAOps)
	if err != nil {
		return timedPhase{}, err
	}
	return timedPhase{
		p: p, fired: f, serverCPU: srv1 - srv0, clientCPU: self1 - self0 - sampled.cpu, distinct: min(len(bodies), f.requests()),
		rsa: [2]RSATime{rsaBefore, rsaAfter}, sampled: sampled,
		exhausted: f.ranOut,
	}, nil
}

func serverCPU(cfg Config) (time.Duration, error) {
	if cfg.ServerCPU == nil {
		return 0, nil
	}
	d, err := cfg.ServerCPU()
	if err != nil {
		return 0, fmt.Errorf("server CPU time: %w", err)
	}
	return d, nil
}

// source returns how to build the i-th request of path p, and how many
// distinct bodies it makes (0: one per request).
func source(ctx context.Context, cfg Config, hc *http.Client, m *merchant, ids *identities, p path) (func(int) ([]byte, error), int, error) {
	switch p.name {
	case "bind-apply":
		// A new user with a new card and phone each time: never a resend.
		return func(i int) ([]byte, error) {
			seed, card := ids.card()
			return m.sealed(bindFields(ids.user('a', i), seed, card))
		}, 0, nil
	case "card-bin":
		return func(int) ([]byte, error) {
			_, card := ids.card()
			return m.signed(map[string]string{"card_no": card})
		}, 0, nil
	case "pay-apply", "pay-verify":
		return paySource(ctx, cfg, hc, m, ids, p)
	case "payout":
		return payoutSource(ctx, cfg, hc, m, ids)
	case "junk":
		junk := [][]byte{[]byte("this is not JSON"), []byte(`{"oid_partner":"209999999999999999","sign_type":"RSA","sign":"x"}`)}
		return func(i int) ([]byte, error) { return junk[i%2], nil }, len(junk), nil
	case "bind-list":
		k := listUsers
		if cfg.Requests > 0 {
			k = min(k, max(cfg.Requests, 1))
		}
		if err := bindUsers(ctx, cfg, hc, m, ids, k); err != nil {
			return nil, 0, err
		}
		bodies, err := prebuild(0, k, func(i int) ([]byte, error) {
			return m.signed(map[string]string{"user_id": ids.user('l', i), "offset": "0"})
		})
		if err != nil {
			return nil, 0, err
		}
		return func(i int) ([]byte, error) { return bodies[i%k], nil }, k, nil
	}
	return nil, 0, fmt.Errorf("no source for %s", p.name)
}

// bindUsers gives k list users one agreement each through the SDK: an
// encrypted bind apply, then a verify with the merchant's fixed SMS code.
func bindUsers(ctx context.Context, cfg Config, hc *http.Client, m *merchant, ids *identities, k int) error {
	c := m.sdk
	errs := make([]error, cfg.Concurrency)
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for w := range cfg.Concurrency {
		wg.Go(func() {
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= k || ctx.Err() != nil {
					return
				}
				user := ids.user('l', j)
				seed, card := ids.card()
				r, err := c.BindApply(ctx, bindFields(user, seed, card))
				if err == nil {
					_, err = c.BindVerify(ctx, map[string]string{"user_id": user, "token": r.Get("token"), "verify_code": SMSCode})
				}
				if err != nil {
					errs[w] = fmt.Errorf("binding list user %s: %w", user, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// verifyAnswer checks that an answer is signed by the platform, with the
// SDK, so a bench never measures something that only looks like llgate.
// Its ret_code was counted already.
func verifyAnswer(m *merchant, route string, raw []byte) error {
	if raw == nil {
		return errors.New("no successful answer")
	}
	var refused *client.Error
	if _, err := m.sdk.ReadAnswer(route, raw); err != nil && !errors.As(err, &refused) {
		return err
	}
	return nil
}

func formatErrors(m map[string]int) string {
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var b strings.Builder
	for i, c := range codes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s×%d", c, m[c])
	}
	return b.String()
}

// result turns the measurements into the report row.
func (t timedPhase) result(serverMeasured bool) PathResult {
	n := t.fired.requests()
	opMicros := (t.rsa[0].SignMicros + t.rsa[1].SignMicros) / 2
	r := PathResult{
		Path: t.p.name, Route: t.p.route, Requests: n, Errors: t.fired.errors, ErrorCount: t.fired.errorCount(),
		ElapsedSec: t.fired.elapsed.Seconds(), UnavoidableOps: t.p.ops, OpMicros: opMicros,
		DistinctRequests: t.distinct, Exhausted: t.exhausted, RSABefore: t.rsa[0], RSAAfter: t.rsa[1],
	}
	if r.Errors == nil {
		r.Errors = map[string]int{}
	}
	if n == 0 {
		return r
	}
	r.Throughput = float64(n) / t.fired.elapsed.Seconds()
	r.P50Millis = millis(t.fired.percentile(0.50))
	r.P99Millis = millis(t.fired.percentile(0.99))
	r.ClientCPUMicros = micros(t.clientCPU) / float64(n)
	if t.sampled.ops > 0 {
		r.OpUnderLoadMicros = micros(t.sampled.cpu) / float64(t.sampled.ops)
	}
	r.RateLimited = r.Errors["9903"]
	if serverMeasured {
		r.ServerCPUMicros = micros(t.serverCPU) / float64(n)
		if r.ServerCPUMicros > 0 && r.RateLimited == 0 {
			r.CryptoShare = float64(t.p.ops) * opMicros / r.ServerCPUMicros
			r.CryptoShareUnderLoad = float64(t.p.ops) * r.OpUnderLoadMicros / r.ServerCPUMicros
		}
	}
	return r
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
