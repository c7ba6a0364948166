package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the report for people.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "llgate bench: %s, %d CPUs (GOMAXPROCS %d), concurrency %d, server limits %s\n",
		r.GoVersion, r.CPUs, r.GOMAXPROCS, r.Concurrency, r.ServerLimits)
	if r.ServerNote != "" {
		fmt.Fprintf(w, "server: %s\n", r.ServerNote)
	}
	b, a := r.RSA.Before, r.RSA.After
	fmt.Fprintf(w, "RSA-2048 private op: %.0f µs CPU, mean over the paths (first / last measurement: sign %.0f / %.0f µs, OAEP decrypt %.0f / %.0f µs)\n",
		r.RSA.OpMicros, b.SignMicros, a.SignMicros, b.DecryptMicros, a.DecryptMicros)
	if r.LoadAvg != [2]string{} {
		fmt.Fprintf(w, "load average (1 min) at start / end: %s / %s\n", r.LoadAvg[0], r.LoadAvg[1])
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\trequests\terrors\treq/s\tp50 ms\tp99 ms\tserver CPU µs/req\tclient CPU µs/req\tprivate ops\top µs\tcrypto share\top µs under load\tshare under load\t")
	for _, p := range r.Paths {
		server, share, shareLoad := "n/a", "n/a", "n/a"
		switch {
		case p.ServerCPUMicros > 0 && p.UnavoidableOps == 0:
			server = fmt.Sprintf("%.1f", p.ServerCPUMicros)
		case p.ServerCPUMicros > 0:
			server = fmt.Sprintf("%.0f", p.ServerCPUMicros)
			share = fmt.Sprintf("%.1f %%", 100*p.CryptoShare)
			shareLoad = fmt.Sprintf("%.1f %%", 100*p.CryptoShareUnderLoad)
		}
		if p.RateLimited > 0 {
			share, shareLoad = "rate-limited", "rate-limited"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%s\t%.0f\t%d\t%.0f\t%s\t%.0f\t%s\t\n",
			p.Path, p.Requests, p.ErrorCount, p.Throughput, p.P50Millis, p.P99Millis, server, p.ClientCPUMicros,
			p.UnavoidableOps, p.OpMicros, share, p.OpUnderLoadMicros, shareLoad)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range r.Paths {
		if p.ErrorCount > 0 {
			fmt.Fprintf(w, "%s errors: %s\n", p.Path, formatErrors(p.Errors))
		}
		if p.RateLimited > 0 {
			fmt.Fprintf(w, "%s: %d requests answered 9903: the server runs with its rate limits on, so no crypto share is computed; start it with --throttle off to measure\n", p.Path, p.RateLimited)
		}
		if p.Exhausted {
			fmt.Fprintf(w, "%s: the pre-built requests ran out after %.1f s\n", p.Path, p.ElapsedSec)
		}
	}
	_, err := fmt.Fprintln(w, "crypto share = private ops × op µs ÷ server CPU per request; op µs = RSA-2048 sign CPU time measured right before and after the path; under load: sampled during it")
	return err
}
