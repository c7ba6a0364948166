package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/llgate/llgate/internal/bench"
)

// TestBenchSpawnPay is the CI smoke of the pay paths on a spawned server.
func TestBenchSpawnPay(t *testing.T) {
	t.Setenv(childEnv, "1")
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "--paths", "pay-apply,pay-verify", "--requests", "20", "--concurrency", "2", "--rsa-ops", "5",
		"--spawn-dir", t.TempDir(), "--json", out}
	if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	rep := readReport(t, out)
	if len(rep.Paths) != 2 || rep.Paths[0].Path != "pay-apply" || rep.Paths[1].Path != "pay-verify" {
		t.Fatalf("paths: %+v", rep.Paths)
	}
	for _, p := range rep.Paths {
		if p.Requests != 20 || p.ErrorCount != 0 || p.CryptoShare <= 0 {
			t.Errorf("%s: %+v", p.Path, p)
		}
	}
}

// TestBenchSpawnNotify is the CI smoke of the notify path: a small backlog
// written before the server starts, delivered exactly once.
func TestBenchSpawnNotify(t *testing.T) {
	t.Setenv(childEnv, "1")
	out := filepath.Join(t.TempDir(), "notify.json")
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "--paths", "notify", "--notify-backlog", "300", "--duration", "20s",
		"--spawn-dir", t.TempDir(), "--json", out}
	if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.NotifyReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Drained || rep.Delivered != 300 || rep.Duplicates != 0 || rep.Unknown != 0 || rep.ServerCPUMicros <= 0 || len(rep.Heap.Samples) == 0 {
		t.Errorf("report: %+v\n%s", rep, stdout.String())
	}
	for _, args := range [][]string{
		{"bench", "--paths", "notify,card-bin"},
		{"bench", "--paths", "notify", "--url", "http://127.0.0.1:1"},
		{"bench", "--paths", "notify", "--notify-backlog", "0"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, &out, &out); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
