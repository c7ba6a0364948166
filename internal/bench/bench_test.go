package bench

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/vault"
)

const adminToken = "bench-test-admin"

// server runs llgate in this process over SQLite with limits off, as the
// e2e tests do.
func server(t *testing.T) string {
	t.Helper()
	a, err := app.New(context.Background(), app.Options{
		Store: sqlitetest.Open(t), MasterKey: vault.GenerateMasterKey(), AdminToken: adminToken,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Server)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return srv.URL
}

func TestRun(t *testing.T) {
	base := server(t)
	const n = 100
	rep, err := Run(context.Background(), Config{
		BaseURL: base, AdminToken: adminToken, Requests: n, Concurrency: 4,
		ServerCPU: ProcessCPU(os.Getpid()), ServerLimits: "off", RSAOps: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Paths) != 3 || rep.RSA.OpMicros <= 0 || rep.RSA.Before.DecryptMicros <= 0 || rep.RSA.After.N != 5 {
		t.Fatalf("report: %+v", rep)
	}
	for i, p := range rep.Paths {
		if p.Path != Paths[i] || p.Requests != n || p.ErrorCount != 0 || len(p.Errors) != 0 {
			t.Errorf("%s: %d requests, errors %v", p.Path, p.Requests, p.Errors)
		}
		if p.Throughput <= 0 || p.P50Millis <= 0 || p.P50Millis > p.P99Millis || p.ElapsedSec <= 0 {
			t.Errorf("%s: throughput %v p50 %v p99 %v", p.Path, p.Throughput, p.P50Millis, p.P99Millis)
		}
		// The server is this process, so its CPU includes the client's.
		if p.ServerCPUMicros <= 0 || p.ClientCPUMicros <= 0 || p.CryptoShare <= 0 {
			t.Errorf("%s: server %v µs, client %v µs, share %v", p.Path, p.ServerCPUMicros, p.ClientCPUMicros, p.CryptoShare)
		}
		if want := float64(p.UnavoidableOps) * p.OpMicros / p.ServerCPUMicros; p.CryptoShare != want {
			t.Errorf("%s: share %v, want %v", p.Path, p.CryptoShare, want)
		}
	}
	if ops := []int{rep.Paths[0].UnavoidableOps, rep.Paths[1].UnavoidableOps, rep.Paths[2].UnavoidableOps}; ops[0] != 3 || ops[1] != 1 || ops[2] != 1 {
		t.Errorf("unavoidable ops %v, want [3 1 1]", ops)
	}
	if rep.Paths[0].DistinctRequests != n || rep.Paths[1].DistinctRequests != min(n, listUsers) {
		t.Errorf("distinct: %d %d", rep.Paths[0].DistinctRequests, rep.Paths[1].DistinctRequests)
	}
}

func TestRunDuration(t *testing.T) {
	base := server(t)
	rep, err := Run(context.Background(), Config{
		BaseURL: base, AdminToken: adminToken, Paths: []string{"card-bin"}, Duration: 300 * time.Millisecond,
		Concurrency: 2, RSAOps: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := rep.Paths[0]
	if p.Requests == 0 || p.ErrorCount != 0 || p.ServerCPUMicros != 0 || p.CryptoShare != 0 {
		t.Errorf("card-bin without server CPU: %+v", p)
	}
}

func TestRunErrors(t *testing.T) {
	base := server(t)
	if _, err := Run(context.Background(), Config{BaseURL: base, AdminToken: "wrong", Requests: 1}); err == nil {
		t.Error("wrong admin token: no error")
	}
	if _, err := Run(context.Background(), Config{BaseURL: base, AdminToken: adminToken, Requests: 1, Paths: []string{"pay"}}); err == nil {
		t.Error("unknown path: no error")
	}
}

func TestParseStat(t *testing.T) {
	line := "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 9 0 100 0 0"
	got, err := parseStat(line)
	if want := 325 * clockTick; err != nil || got != want {
		t.Errorf("parseStat: %v, %v; want %v", got, err, want)
	}
	if _, err := parseStat("4242 (x) S 1"); err == nil {
		t.Error("short line: no error")
	}
	if _, err := ProcessCPU(os.Getpid())(); err != nil {
		t.Errorf("own /proc stat: %v", err)
	}
}

func TestIdentities(t *testing.T) {
	ids, err := newIdentities()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 500 {
		seed, card := ids.card()
		if seen[card] {
			t.Fatalf("card %s drawn twice", card)
		}
		seen[card] = true
		if c, err := issuer.Lookup(card); err != nil || c.Type != issuer.Debit || issuer.BindOutcome(card) != "" {
			t.Fatalf("card %s: %+v %v", card, c, err)
		}
		h := holderOf(seed)
		if err := protocol.ValidateIDNo("0", h.idNo); err != nil {
			t.Fatalf("id %s: %v", h.idNo, err)
		}
		if err := protocol.ValidateMobile("bind_mob", h.mobile); err != nil {
			t.Fatalf("mobile %s: %v", h.mobile, err)
		}
		if holderOf(seed) != h {
			t.Fatal("holder is not a function of the seed")
		}
	}
	if u := ids.user('a', 9_999_999); len(u) > 32 {
		t.Errorf("user_id %s is over 32 characters", u)
	}
}

func TestPercentile(t *testing.T) {
	var f fireResult
	for i := 1; i <= 100; i++ {
		f.latencies = append(f.latencies, time.Duration(i)*time.Millisecond)
	}
	if p50, p99 := f.percentile(0.5), f.percentile(0.99); p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("p50 %v p99 %v, want 50ms 99ms", p50, p99)
	}
	if got := (fireResult{}).percentile(0.5); got != 0 {
		t.Errorf("empty: %v", got)
	}
}

// TestRateLimitedServer: a server with its rate limits on is said to be
// one, never measured into a crypto share above 100 %.
func TestRateLimitedServer(t *testing.T) {
	a, err := app.New(context.Background(), app.Options{
		Store: sqlitetest.Open(t), MasterKey: vault.GenerateMasterKey(), AdminToken: adminToken,
		Logger: slog.New(slog.DiscardHandler), Limits: true, MerchantRate: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Server)
	t.Cleanup(func() { srv.Close(); a.Close() })
	_, err = Run(context.Background(), Config{BaseURL: srv.URL, AdminToken: adminToken, Paths: []string{"card-bin"},
		Requests: 100, Concurrency: 2, RSAOps: 2, ServerCPU: ProcessCPU(os.Getpid())})
	if err == nil || !strings.Contains(err.Error(), "--throttle off") {
		t.Fatalf("bench of a rate-limited server: %v, want an error saying to turn the limits off", err)
	}

	ph := timedPhase{p: path{name: "card-bin", ops: 1}, fired: fireResult{latencies: []time.Duration{1, 2, 3},
		errors: map[string]int{"9903": 2}, elapsed: time.Second}, serverCPU: time.Millisecond}
	r := ph.result(true)
	if r.RateLimited != 2 || r.CryptoShare != 0 {
		t.Errorf("result: rate limited %d, share %v; want 2 and no share", r.RateLimited, r.CryptoShare)
	}
	var b strings.Builder
	(&Report{Paths: []PathResult{r}}).WriteTable(&b)
	if !strings.Contains(b.String(), "rate-limited") || !strings.Contains(b.String(), "--throttle off") {
		t.Errorf("table:\n%s", b.String())
	}
}
