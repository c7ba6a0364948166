package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/llgate/llgate/internal/bench"
)

// childEnv makes this test binary run main, so TestBenchSpawn can spawn it
// as the llgate it benches (os.Executable is the test binary).
const childEnv = "GO_TEST_LLGATE_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func readReport(t *testing.T, file string) bench.Report {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func checkReport(t *testing.T, rep bench.Report, requests int) {
	t.Helper()
	if len(rep.Paths) != len(bench.Paths) {
		t.Fatalf("paths: %+v", rep.Paths)
	}
	if rep.RSA.OpMicros <= 0 {
		t.Errorf("RSA op time: %+v", rep.RSA)
	}
	for i, p := range rep.Paths {
		if p.Path != bench.Paths[i] || p.Requests != requests || p.ErrorCount != 0 || p.Throughput <= 0 || p.P50Millis > p.P99Millis {
			t.Errorf("path %d: %+v", i, p)
		}
	}
}

func TestBenchAgainstURL(t *testing.T) {
	base := inProcessServer(t)
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "--url", base, "--admin-token", testAdminToken, "--server-pid", strconv.Itoa(os.Getpid()),
		"--server-limits", "off", "--requests", "30", "--concurrency", "3", "--rsa-ops", "5", "--json", out}
	if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	rep := readReport(t, out)
	checkReport(t, rep, 30)
	if rep.ServerLimits != "off" || rep.Concurrency != 3 {
		t.Errorf("report header: %+v", rep)
	}
	for _, p := range rep.Paths {
		// The server is this process: its CPU includes the client's.
		if p.ServerCPUMicros <= 0 || p.CryptoShare <= 0 {
			t.Errorf("%s: server CPU %v, share %v", p.Path, p.ServerCPUMicros, p.CryptoShare)
		}
	}
	for _, want := range []string{"bind-apply", "bind-list", "card-bin", "crypto share", "server limits off"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestBenchSpawn(t *testing.T) {
	t.Setenv(childEnv, "1")
	out := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "--requests", "20", "--concurrency", "2", "--rsa-ops", "5", "--spawn-dir", t.TempDir(), "--json", out}
	if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	rep := readReport(t, out)
	checkReport(t, rep, 20)
	if rep.ServerLimits != "off" || !strings.Contains(rep.ServerNote, "spawned") {
		t.Errorf("report header: %+v", rep)
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--concurrency", "0"},
		{"bench", "--url", "http://127.0.0.1:1", "--spawn"},
		{"bench", "extra"},
		{"bench", "--duration", "0s"},
		{"bench", "--rsa-ops", "0"},
		{"bench", "--url", "http://127.0.0.1:1", "--server-limits", "maybe"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, &out, &out); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
