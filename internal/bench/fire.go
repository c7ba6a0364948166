package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// fireResult is what the workers saw.
type fireResult struct {
	latencies []time.Duration // sorted
	errors    map[string]int  // answers other than success, by ret_code
	elapsed   time.Duration
	sample    []byte // one successful answer, for a signature check
	ranOut    bool   // the bodies ran out before the deadline
}

func (f fireResult) requests() int { return len(f.latencies) }

func (f fireResult) errorCount() int {
	n := 0
	for _, c := range f.errors {
		n += c
	}
	return n
}

// percentile is the nearest-rank q-quantile of the latencies.
func (f fireResult) percentile(q float64) time.Duration {
	n := len(f.latencies)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(n))) - 1
	return f.latencies[min(max(i, 0), n-1)]
}

// worker is one worker's share, merged after the phase so the hot loop
// shares nothing but the request counter.
type worker struct {
	latencies []time.Duration
	errors    map[string]int
	sample    []byte
}

// shot says how many requests fire sends and when it stops.
type shot struct {
	concurrency int
	// limit, when positive, is the number of requests to send.
	limit int
	// deadline, when not zero, stops the workers once it has passed.
	deadline time.Time
	// wrap sends the bodies again from the first when they run out, for
	// paths where a repeated request costs the server what a new one does.
	wrap bool
}

// fire posts bodies in order with s.concurrency workers, each waiting for
// its answer before sending the next, until the limit, the deadline, or
// (without wrap) the bodies run out.
func fire(ctx context.Context, hc *http.Client, url string, bodies [][]byte, s shot, success string) fireResult {
	var next atomic.Int64
	var ranOut atomic.Bool
	ws := make([]worker, s.concurrency)
	per := max(len(bodies), s.limit)/s.concurrency + 1
	start := time.Now()
	var wg sync.WaitGroup
	for k := range ws {
		w := &ws[k]
		w.latencies = make([]time.Duration, 0, per)
		w.errors = map[string]int{}
		wg.Go(func() {
			for ctx.Err() == nil {
				if !s.deadline.IsZero() && !time.Now().Before(s.deadline) {
					return
				}
				i := int(next.Add(1) - 1)
				if s.limit > 0 && i >= s.limit {
					return
				}
				if i >= len(bodies) && !s.wrap {
					ranOut.Store(!s.deadline.IsZero())
					return
				}
				t0 := time.Now()
				code, raw := post(ctx, hc, url, bodies[i%len(bodies)])
				w.latencies = append(w.latencies, time.Since(t0))
				if !isSuccess(code, success) {
					w.errors[code]++
				} else if w.sample == nil {
					w.sample = raw
				}
			}
		})
	}
	wg.Wait()
	f := fireResult{elapsed: time.Since(start), errors: map[string]int{}, ranOut: ranOut.Load()}
	for _, w := range ws {
		f.latencies = append(f.latencies, w.latencies...)
		for c, n := range w.errors {
			f.errors[c] += n
		}
		if f.sample == nil {
			f.sample = w.sample
		}
	}
	slices.Sort(f.latencies)
	if len(f.errors) == 0 {
		f.errors = nil
	}
	return f
}

// post sends one request and returns the answer's ret_code ("transport" or
// "http NNN" when there is none) and the answer.
func post(ctx context.Context, hc *http.Client, url string, body []byte) (string, []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "transport", nil
	}
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	res, err := hc.Do(req)
	if err != nil {
		return "transport", nil
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return "transport", nil
	}
	if res.StatusCode != http.StatusOK {
		return "http " + strconv.Itoa(res.StatusCode), nil
	}
	var a struct {
		RetCode string `json:"ret_code"`
	}
	if json.Unmarshal(raw, &a) != nil || a.RetCode == "" {
		return "no ret_code", nil
	}
	return a.RetCode, raw
}

// isSuccess says whether code is one of success's codes ("1012|3001").
func isSuccess(code, success string) bool {
	return strings.Contains("|"+success+"|", "|"+code+"|")
}
