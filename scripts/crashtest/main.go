// Command crashtest starts the real llgate binary, drives a mixed load (bind,
// pay, refund, unbind, query, pre-authorisations and captures, hosted
// checkout payments through the cashier pages) from several clients, SIGKILLs the server at
// random moments while at least -min-inflight requests are in flight,
// restarts it on the same database and re-verifies, after every restart,
// every acknowledged operation the clients received. At the end it moves the
// sandbox clock until every successful payment and refund was notified,
// stops the server, checks the database (SQLite integrity check, every
// sealed value opens with the master key, outbox drained) and writes a
// summary. It exits 1 on any violation.
//
//	go run ./scripts/crashtest -kills 20 -store sqlite -clients 12 -summary crashtest-summary.json
//	go run ./scripts/crashtest -kills 20 -store postgres -pg postgres://postgres@127.0.0.1:5432/test?sslmode=disable
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/llgate/llgate/internal/faulttest"
)

type options struct {
	kills       int
	store       string
	clients     int
	summary     string
	pg          string
	seed        uint64
	minInflight int
	cycleMin    time.Duration
	cycleMax    time.Duration
	clockStep   time.Duration
	drainSteps  int
	keep        bool
	race        bool
}

// Summary is the file -summary writes.
type Summary struct {
	Store                  string         `json:"store"`
	Kills                  int            `json:"kills"`
	Cycles                 int            `json:"cycles"`
	Clients                int            `json:"clients"`
	Seed                   uint64         `json:"seed"`
	OperationsAcknowledged int            `json:"operations_acknowledged"`
	AcknowledgedByKind     map[string]int `json:"acknowledged_by_kind"`
	OperationsReverified   int            `json:"operations_reverified"`
	FinalReverified        int            `json:"final_reverified"`
	UnknownCalls           map[string]int `json:"unknown_calls"`
	Checkouts              map[string]int `json:"checkouts"` // hosted checkout payments by how far the payer got
	Calls                  map[string]int `json:"calls"`
	InflightAtKill         struct {
		Min int     `json:"min"`
		Avg float64 `json:"avg"`
		Max int     `json:"max"`
	} `json:"inflight_at_kill"`
	Violations            []string `json:"violations"`
	NotificationsExpected int      `json:"notifications_expected"`
	NotificationsReceived int      `json:"notifications_received"`
	NotificationsAgain    int      `json:"notifications_duplicated"`
	NotificationsMissing  int      `json:"notifications_missing"`
	MissingSample         []string `json:"missing_sample,omitempty"`
	faulttest.StoreReport
	ServerLog faulttest.LogReport `json:"server_log"`
	DurationS float64             `json:"duration_s"`
	Dir       string              `json:"dir,omitempty"`
}

func main() {
	var o options
	flag.IntVar(&o.kills, "kills", 20, "SIGKILLs (one restart and re-verification each)")
	flag.StringVar(&o.store, "store", "sqlite", "sqlite or postgres")
	flag.IntVar(&o.clients, "clients", 12, "concurrent clients")
	flag.StringVar(&o.summary, "summary", "crashtest-summary.json", "summary file")
	flag.StringVar(&o.pg, "pg", os.Getenv("LLGATE_TEST_POSTGRES"), "PostgreSQL URL (a fresh schema is created in it and dropped)")
	flag.Uint64Var(&o.seed, "seed", 0, "random seed (0: from the time)")
	flag.IntVar(&o.minInflight, "min-inflight", 8, "kill only while at least this many requests are in flight")
	flag.DurationVar(&o.cycleMin, "cycle-min", 300*time.Millisecond, "least load between restart and the next kill")
	flag.DurationVar(&o.cycleMax, "cycle-max", 1500*time.Millisecond, "most load between restart and the next kill")
	flag.DurationVar(&o.clockStep, "clock-step", 150*time.Second, "the sandbox clock moves up to this much after each restart")
	flag.IntVar(&o.drainSteps, "drain-steps", 40, "at most this many 2-minute clock steps to wait for notifications at the end")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (and the PostgreSQL schema)")
	flag.BoolVar(&o.race, "race", false, "build the server with -race")
	flag.Parse()
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	sum, err := run(o)
	if sum != nil {
		b, _ := json.MarshalIndent(sum, "", "  ")
		if werr := os.WriteFile(o.summary, append(b, '\n'), 0o644); werr != nil {
			log.Printf("write summary: %v", werr)
		}
		log.Printf("summary (%s):\n%s", o.summary, b)
	}
	if err != nil {
		log.Printf("crashtest: %v", err)
		os.Exit(2)
	}
	if len(sum.Violations) > 0 || sum.NotificationsMissing > 0 {
		log.Printf("crashtest: FAILED: %d violations, %d notifications missing", len(sum.Violations), sum.NotificationsMissing)
		os.Exit(1)
	}
	log.Printf("crashtest: OK")
}

func run(o options) (*Summary, error) {
	start := time.Now()
	// Ctrl-C ends the run early but still kills the server and drops the
	// schema.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.store != "sqlite" && o.store != "postgres" {
		return nil, fmt.Errorf("-store must be sqlite or postgres")
	}
	if o.clients < o.minInflight {
		return nil, fmt.Errorf("-clients %d cannot keep %d requests in flight", o.clients, o.minInflight)
	}
	root, err := faulttest.RepoRoot(".")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "llgate-crashtest-")
	if err != nil {
		return nil, err
	}
	keepDir := o.keep
	defer func() {
		if !keepDir {
			os.RemoveAll(dir)
		}
	}()
	log.Printf("crashtest: store %s, %d kills, %d clients, seed %d, work dir %s", o.store, o.kills, o.clients, o.seed, dir)
	bin, err := faulttest.Build(ctx, root, dir, o.race)
	if err != nil {
		return nil, err
	}
	fx, err := faulttest.NewFixture(root, dir)
	if err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "llgate.db")
	if o.store == "postgres" {
		if o.pg == "" {
			return nil, fmt.Errorf("-store postgres needs -pg or LLGATE_TEST_POSTGRES")
		}
		url, drop, err := faulttest.CreateSchema(ctx, o.pg, "crashtest")
		if err != nil {
			return nil, err
		}
		defer func() {
			if o.keep {
				log.Printf("kept the PostgreSQL database: %s", url)
				return
			}
			if err := drop(); err != nil {
				log.Printf("drop schema: %v", err)
			}
		}()
		db = url
	}

	sum := &Summary{Store: o.store, Kills: o.kills, Clients: o.clients, Seed: o.seed, Violations: []string{}}
	sum.InflightAtKill.Min = -1
	v := &faulttest.Violations{Log: func(s string) { log.Print(s) }}
	rc, err := faulttest.NewReceiver(fx.PlatformKey, v)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	logPath := filepath.Join(dir, "server.log")
	srv, err := faulttest.Start(bin, fx.ServeArgs(db), nil, logPath)
	if err != nil {
		return nil, err
	}
	defer func() {
		select {
		case <-srv.Exited():
		default:
			srv.Kill()
		}
	}()

	l := &faulttest.Ledger{}
	t := faulttest.NewTarget(fx)
	ld := &faulttest.Load{T: t, L: l, V: v, NotifyURL: rc.URL, Tag: "ct"}
	t.Resume(srv.URL)
	var wg sync.WaitGroup
	for i := range o.clients {
		w := ld.Worker(i, o.seed)
		wg.Go(func() { w.Run(ctx) })
	}
	rng := rand.New(rand.NewPCG(o.seed, 0xC0FFEE))
	vf := &faulttest.Verifier{L: l, V: v, Parallel: 8}
	var inflightSum int
	fail := func(err error) (*Summary, error) {
		t.Close()
		keepDir = true
		sum.Dir = dir
		finish(sum, ld, v, start)
		return sum, err
	}

	for k := 1; k <= o.kills; k++ {
		before := v.Len() // found by the clients during this cycle's load, then by the re-verification
		select {
		case <-time.After(o.cycleMin + time.Duration(rng.Int64N(int64(o.cycleMax-o.cycleMin)+1))):
		case <-ctx.Done():
			return fail(fmt.Errorf("cycle %d: interrupted", k))
		}
		at, err := killWhileBusy(srv, t, int64(o.minInflight), rng)
		if errors.Is(err, errExited) {
			v.Add("cycle %d: the server exited by itself before the kill: %v (log: %s)", k, srv.WaitErr(), logPath)
			err = nil
		}
		if err != nil {
			return fail(fmt.Errorf("cycle %d: %w (log: %s)", k, err, logPath))
		}
		t.Pause()
		inflightSum += int(at)
		if sum.InflightAtKill.Min < 0 || int(at) < sum.InflightAtKill.Min {
			sum.InflightAtKill.Min = int(at)
		}
		sum.InflightAtKill.Max = max(sum.InflightAtKill.Max, int(at))
		idleCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err = t.WaitIdle(idleCtx)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("cycle %d: %w", k, err))
		}
		restartStart := time.Now()
		next, err := faulttest.Start(bin, fx.ServeArgs(db), nil, logPath)
		if err != nil {
			return fail(fmt.Errorf("cycle %d: restart: %w", k, err))
		}
		srv = next
		restart := time.Since(restartStart)
		verifyStart := time.Now()
		n, err := vf.Reverify(ctx, t.Client(srv.URL), false)
		if err != nil {
			v.Add("cycle %d: re-verification failed: %v", k, err)
		}
		// Every merchant's balances are its ledger's sums after the restart.
		if err := faulttest.RecomputeBalances(ctx, db, v); err != nil {
			v.Add("cycle %d: recompute the balances: %v", k, err)
		}
		sum.Cycles = k
		sum.OperationsReverified += n
		log.Printf("cycle %d: re-verified %d acknowledged operations, %d violations (in flight at kill %d; acknowledged so far %d, lost answers so far %d; restart %s, re-verify %s)",
			k, n, v.Len()-before, at, l.Acked.Total(), l.Unknown.Total(), restart.Round(time.Millisecond), time.Since(verifyStart).Round(time.Millisecond))
		admin := faulttest.Admin{URL: srv.URL, Token: fx.AdminToken}
		if d := time.Duration(rng.Int64N(int64(o.clockStep) + 1)).Truncate(time.Second); d > 0 {
			if err := admin.Advance(ctx, d); err != nil {
				v.Add("cycle %d: advance the clock: %v", k, err)
			}
		}
		t.Resume(srv.URL)
	}
	if o.kills > 0 {
		sum.InflightAtKill.Avg = float64(inflightSum) / float64(o.kills)
	}

	log.Printf("stopping the load")
	t.Close()
	wg.Wait()
	admin := faulttest.Admin{URL: srv.URL, Token: fx.AdminToken}
	missing, n, err := faulttest.Drain(ctx, admin, t.Client(srv.URL), vf, rc, o.drainSteps, log.Printf)
	if err != nil {
		return fail(fmt.Errorf("drain: %w", err))
	}
	sum.FinalReverified = n
	sum.NotificationsMissing = len(missing)
	for i, m := range missing {
		if i == 20 {
			break
		}
		sum.MissingSample = append(sum.MissingSample, m)
		v.Add("notification never delivered: %s", m)
	}
	sum.NotificationsExpected = faulttest.ExpectedCount(l)
	log.Printf("drain: %d notifications expected, %d missing; final re-verification of %d acknowledged operations", sum.NotificationsExpected, len(missing), n)
	if err := srv.Stop(30 * time.Second); err != nil {
		v.Add("graceful stop: %v", err)
	}
	rep, err := faulttest.CheckStore(ctx, db, fx.MasterKey, v)
	if err != nil {
		return fail(fmt.Errorf("store check: %w", err))
	}
	sum.StoreReport = rep
	log.Printf("store: integrity %s, %d sealed values checked (%d failed), outbox %d delivered / %d pending / %d failed",
		integrity(rep), rep.SealedChecked, rep.SealedFailed, rep.OutboxDelivered, rep.OutboxPending, rep.OutboxFailed)
	sum.NotificationsReceived = rc.Total()
	sum.NotificationsAgain = rc.Duplicates()
	sum.ServerLog = faulttest.ScanLog(logPath, v)
	finish(sum, ld, v, start)
	if len(sum.Violations) > 0 {
		keepDir = true
		sum.Dir = dir
	}
	return sum, nil
}

func integrity(r faulttest.StoreReport) string {
	if r.IntegrityOK == nil {
		return "skipped"
	}
	if *r.IntegrityOK {
		return "ok"
	}
	return "FAILED"
}

func finish(sum *Summary, ld *faulttest.Load, v *faulttest.Violations, start time.Time) {
	l := ld.L
	sum.Calls = ld.Calls.Map()
	sum.AcknowledgedByKind = l.Acked.Map()
	sum.OperationsAcknowledged = l.Acked.Total()
	sum.UnknownCalls = l.Unknown.Map()
	sum.Checkouts = l.CheckoutCounts()
	sum.Violations = append([]string{}, v.List()...)
	sum.DurationS = time.Since(start).Round(100 * time.Millisecond).Seconds()
}

var errExited = errors.New("the server had exited")

// killWhileBusy waits until at least min requests are in flight, lets a
// random few milliseconds pass, and SIGKILLs the server the moment at least
// min are (still or again) in flight. It returns that count.
func killWhileBusy(srv *faulttest.Server, t *faulttest.Target, min int64, rng *rand.Rand) (int64, error) {
	deadline := time.Now().Add(2 * time.Minute)
	select {
	case <-srv.Exited():
		return t.InFlight(), errExited
	default:
	}
	for t.InFlight() < min {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("never %d requests in flight (now %d)", min, t.InFlight())
		}
		time.Sleep(200 * time.Microsecond)
	}
	time.Sleep(time.Duration(rng.IntN(5000)) * time.Microsecond)
	for {
		if n := t.InFlight(); n >= min {
			srv.Kill()
			return n, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("never %d requests in flight (now %d)", min, t.InFlight())
		}
		time.Sleep(100 * time.Microsecond)
	}
}
