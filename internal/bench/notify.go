package bench

import (
	"bufio"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/sqlite"
	"github.com/llgate/llgate/vault"
)

// NotifyPath is the bench path that measures notification delivery. It
// runs alone, on a server the bench spawns over a database it prepared.
const NotifyPath = "notify"

const (
	// DefaultBacklog is how many due notifications the notify path
	// creates before timing.
	DefaultBacklog = 100_000
	// NotifyTarget is the delivery rate the notify path must reach.
	NotifyTarget = 2000.0
	// HeapBand is how far the server's in-use heap may range (max - min of
	// the one-second samples) while the backlog drains: a worker that held
	// the backlog, or leaked per delivery, would grow past it.
	HeapBand = 64 << 20
)

// NotifyConfig is one notify bench.
type NotifyConfig struct {
	// DBPath is the SQLite database the server will open; the bench
	// creates the backlog in it first, so it must be new or empty.
	DBPath      string
	MasterKey   []byte          // the server's master key
	PlatformKey *rsa.PrivateKey // the server's pinned platform key
	Backlog     int             // 0 means DefaultBacklog
	// Timeout bounds the drain; the report says how far it got.
	Timeout time.Duration
	// Start starts the server on DBPath once the backlog is written and
	// returns when it listens: its base URL and, when it can be measured,
	// a function reading its CPU time.
	Start      func(ctx context.Context, receiverURL string) (url string, cpu func() (time.Duration, error), err error)
	ServerNote string
	Log        io.Writer
}

// NotifyReport is the notify path's result, written as JSON by --json.
type NotifyReport struct {
	StartedAt  time.Time `json:"started_at"`
	GoVersion  string    `json:"go_version"`
	CPUs       int       `json:"cpus"`
	ServerNote string    `json:"server_note,omitempty"`
	LoadAvg    [2]string `json:"load_avg"`
	Path       string    `json:"path"`
	Backlog    int       `json:"backlog"`
	// PrepareSec is the untimed creation of the backlog (sign, seal, insert).
	PrepareSec float64 `json:"prepare_s"`
	// Delivered counts the backlog's bodies the receiver got at least
	// once; Duplicates the deliveries beyond the first of a body; Unknown
	// bodies that were not in the backlog; Rejected malformed requests.
	Delivered  int `json:"delivered"`
	Duplicates int `json:"duplicates"`
	Unknown    int `json:"unknown"`
	Rejected   int `json:"rejected"`
	// ElapsedSec runs from the server's start line (or the first delivery,
	// if earlier) until the last backlog body came or Timeout ran out.
	ElapsedSec  float64 `json:"elapsed_s"`
	Throughput  float64 `json:"deliveries_per_s"`
	Target      float64 `json:"target_per_s"`
	MeetsTarget bool    `json:"meets_target"`
	Drained     bool    `json:"drained"`
	// ServerCPUMicros is the server's CPU time per delivery (0 unmeasured).
	ServerCPUMicros float64 `json:"server_cpu_us_per_delivery"`
	// Heap is the server's go_memstats_heap_inuse_bytes, sampled from
	// /metrics every second while the backlog drained.
	Heap HeapReport `json:"heap"`
}

// HeapReport sums up the heap samples.
type HeapReport struct {
	Samples  []HeapSample `json:"samples"`
	MinBytes int64        `json:"min_bytes"`
	MaxBytes int64        `json:"max_bytes"`
	// BandBytes is the allowed MaxBytes - MinBytes; WithinBand says it held.
	BandBytes  int64 `json:"band_bytes"`
	WithinBand bool  `json:"within_band"`
}

// HeapSample is one reading.
type HeapSample struct {
	AtSec     float64 `json:"at_s"`
	Bytes     int64   `json:"inuse_bytes"`
	Delivered int64   `json:"delivered"`
}

// RunNotify writes a backlog of due notifications into cfg.DBPath, starts
// the server on it and times their delivery to a receiver in this process
// that acknowledges each at once.
func RunNotify(ctx context.Context, cfg NotifyConfig) (*NotifyReport, error) {
	if cfg.Backlog <= 0 {
		cfg.Backlog = DefaultBacklog
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Start == nil || cfg.DBPath == "" || cfg.PlatformKey == nil {
		return nil, errors.New("bench: notify needs a database path, a platform key and a server to start")
	}
	rcv, err := StartReceiver()
	if err != nil {
		return nil, err
	}
	defer rcv.Close()
	rep := &NotifyReport{
		StartedAt: time.Now().UTC(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), ServerNote: cfg.ServerNote,
		Path: NotifyPath, Backlog: cfg.Backlog, Target: NotifyTarget,
	}
	t0 := time.Now()
	want, err := writeBacklog(ctx, cfg, rcv.URL())
	if err != nil {
		return nil, fmt.Errorf("bench: notify backlog: %w", err)
	}
	rep.PrepareSec = time.Since(t0).Seconds()
	fmt.Fprintf(cfg.Log, "bench: notify: %d due notifications written in %.1f s\n", cfg.Backlog, rep.PrepareSec)
	runtime.GC()

	rep.LoadAvg[0] = loadAvg()
	rcv.expect(int64(cfg.Backlog))
	url, cpu, err := cfg.Start(ctx, rcv.URL())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var cpu0 time.Duration
	if cpu != nil {
		if cpu0, err = cpu(); err != nil {
			return nil, fmt.Errorf("bench: server CPU time: %w", err)
		}
	}
	if f := rcv.first.Load(); f != 0 && time.Unix(0, f).Before(start) {
		start = time.Unix(0, f)
	}

	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}
	defer hc.CloseIdleConnections()
	sample := func() {
		if b, err := heapInuse(ctx, hc, url); err == nil {
			rep.Heap.Samples = append(rep.Heap.Samples, HeapSample{
				AtSec: time.Since(start).Seconds(), Bytes: b, Delivered: rcv.distinct.Load(),
			})
		}
	}
	sample()
	tick := time.NewTicker(time.Second)
	timeout := time.NewTimer(cfg.Timeout)
	defer tick.Stop()
	defer timeout.Stop()
wait:
	for {
		select {
		case <-rcv.all:
			rep.Drained = true
			break wait
		case <-timeout.C:
			break wait
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
			sample()
			d := rcv.distinct.Load()
			fmt.Fprintf(cfg.Log, "bench: notify: %d delivered (%.0f/s)\n", d, float64(d)/time.Since(start).Seconds())
		}
	}
	elapsed := time.Since(start)
	var cpu1 time.Duration
	if cpu != nil {
		if cpu1, err = cpu(); err != nil {
			return nil, fmt.Errorf("bench: server CPU time: %w", err)
		}
	}
	sample()
	// A duplicate would come from a retry: give one a moment to show.
	time.Sleep(500 * time.Millisecond)
	rep.LoadAvg[1] = loadAvg()

	rcv.mu.Lock()
	for h, n := range rcv.seen {
		if !want[h] {
			rep.Unknown += n
			continue
		}
		rep.Delivered++
		rep.Duplicates += n - 1
	}
	rcv.mu.Unlock()
	_, _, bad := rcv.Counts()
	rep.Rejected = int(bad)
	rep.ElapsedSec = elapsed.Seconds()
	rep.Throughput = float64(rep.Delivered) / rep.ElapsedSec
	rep.MeetsTarget = rep.Drained && rep.Throughput >= NotifyTarget
	if cpu != nil && rep.Delivered > 0 {
		rep.ServerCPUMicros = micros(cpu1-cpu0) / float64(rep.Delivered)
	}
	h := &rep.Heap
	h.BandBytes = HeapBand
	for i, s := range h.Samples {
		if i == 0 || s.Bytes < h.MinBytes {
			h.MinBytes = s.Bytes
		}
		if s.Bytes > h.MaxBytes {
			h.MaxBytes = s.Bytes
		}
	}
	h.WithinBand = len(h.Samples) > 0 && h.MaxBytes-h.MinBytes <= h.BandBytes
	return rep, nil
}

// writeBacklog opens the database, signs and seals cfg.Backlog payment
// notifications to receiverURL, all due now, and closes it. It returns the
// SHA-256 of every body, to tell deliveries apart.
func writeBacklog(ctx context.Context, cfg NotifyConfig, receiverURL string) (map[[32]byte]bool, error) {
	store, err := sqlite.Open(ctx, cfg.DBPath)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	v, err := vault.New(store, cfg.MasterKey)
	if err != nil {
		return nil, err
	}
	signer := notify.Signer{Key: cfg.PlatformKey}
	oid := "291122" + strconv.FormatInt(time.Now().UnixNano()%1e10, 10)
	// A minute in the past: due at once whatever the sandbox clock's
	// rounding.
	due := time.Now().UTC().Add(-time.Minute)
	sums := make([][32]byte, cfg.Backlog)
	const batch = 2000
	rows := make(chan []*llgate.Notification, runtime.GOMAXPROCS(0))
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	fail := func(err error) { once.Do(func() { firstErr = err }); next.Store(int64(cfg.Backlog)) }
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				from := int(next.Add(batch) - batch)
				if from >= cfg.Backlog {
					return
				}
				to := min(from+batch, cfg.Backlog)
				ns := make([]*llgate.Notification, 0, to-from)
				for i := from; i < to; i++ {
					noOrder := fmt.Sprintf("nb%010d", i)
					body, err := signer.Sign(map[string]string{
						"oid_partner": oid, "no_order": noOrder, "dt_order": due.Format("20060102150405"),
						"oid_paybill": fmt.Sprintf("20%014d", i), "money_order": "0.01", "result_pay": llgate.OrderSuccess,
						"settle_date": due.Format("20060102"), "info_order": "bench notification", "pay_type": "2",
						"bank_code": "01020000", "no_agree": fmt.Sprintf("2026%012d", i),
					}, llgate.SignRSA)
					if err != nil {
						fail(err)
						return
					}
					sums[i] = sha256.Sum256(body)
					id := llgate.NewID()
					sealed, err := v.Seal(ctx, oid, llgate.TableNotifications, id, body)
					if err != nil {
						fail(err)
						return
					}
					ns = append(ns, &llgate.Notification{
						ID: id, OidPartner: oid, Kind: llgate.NotifyPayment, NoOrder: noOrder, URL: receiverURL, Body: sealed,
						Status: llgate.NotifyPending, NextAttemptAt: due, CreatedAt: due, UpdatedAt: due,
					})
				}
				select {
				case rows <- ns:
				case <-ctx.Done():
					fail(ctx.Err())
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(rows) }()
	var insertErr error
	for ns := range rows {
		if insertErr != nil {
			continue
		}
		insertErr = store.Update(ctx, func(tx llgate.Tx) error {
			for _, n := range ns {
				if err := tx.InsertNotification(ctx, n); err != nil {
					return err
				}
			}
			return nil
		})
		if insertErr != nil {
			fail(insertErr)
		}
	}
	if err := errors.Join(firstErr, insertErr); err != nil {
		return nil, err
	}
	want := make(map[[32]byte]bool, len(sums))
	for _, s := range sums {
		want[s] = true
	}
	if len(want) != cfg.Backlog {
		return nil, fmt.Errorf("%d distinct bodies for %d notifications", len(want), cfg.Backlog)
	}
	return want, nil
}

// heapInuse reads go_memstats_heap_inuse_bytes from the server's /metrics.
func heapInuse(ctx context.Context, hc *http.Client, base string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f), err
		}
	}
	return 0, errors.New("no go_memstats_heap_inuse_bytes in /metrics")
}

// WriteTable prints the notify report for people.
func (r *NotifyReport) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "llgate bench notify: %s, %d CPUs\n", r.GoVersion, r.CPUs)
	if r.ServerNote != "" {
		fmt.Fprintf(w, "server: %s\n", r.ServerNote)
	}
	if r.LoadAvg != [2]string{} {
		fmt.Fprintf(w, "load average (1 min) at start / end: %s / %s\n", r.LoadAvg[0], r.LoadAvg[1])
	}
	fmt.Fprintf(w, "backlog: %d due notifications, signed and sealed before timing in %.1f s\n\n", r.Backlog, r.PrepareSec)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\tdelivered\tduplicates\tunknown\telapsed s\tdeliveries/s\ttarget/s\tserver CPU µs/delivery\theap min MiB\theap max MiB\tsamples\t")
	server := "n/a"
	if r.ServerCPUMicros > 0 {
		server = fmt.Sprintf("%.0f", r.ServerCPUMicros)
	}
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.0f\t%.0f\t%s\t%.1f\t%.1f\t%d\t\n", r.Path, r.Delivered, r.Duplicates, r.Unknown,
		r.ElapsedSec, r.Throughput, r.Target, server, mib(r.Heap.MinBytes), mib(r.Heap.MaxBytes), len(r.Heap.Samples))
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "NO"
	}
	_, err := fmt.Fprintf(w, "drained: %s; ≥ %.0f deliveries/s: %s; heap within a %.0f MiB band: %s\n",
		verdict(r.Drained), r.Target, verdict(r.MeetsTarget), mib(r.Heap.BandBytes), verdict(r.Heap.WithinBand))
	return err
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
