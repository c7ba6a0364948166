package bench

import (
	"context"
	"os"
	"testing"
)

// TestRunPayout: the payout path accepts every request (0000: a new card
// each time, a balance that covers them), with its three private
// operations.
func TestRunPayout(t *testing.T) {
	base := server(t)
	const n = 40
	rep, err := Run(context.Background(), Config{
		BaseURL: base, AdminToken: adminToken, Requests: n, Concurrency: 4, Paths: []string{"payout"},
		ServerCPU: ProcessCPU(os.Getpid()), ServerLimits: "off", RSAOps: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Paths) != 1 {
		t.Fatalf("paths: %+v", rep.Paths)
	}
	p := rep.Paths[0]
	if p.Path != "payout" || p.UnavoidableOps != 3 || p.Requests != n || p.ErrorCount != 0 || p.DistinctRequests != n {
		t.Errorf("payout: %+v", p)
	}
	if p.Throughput <= 0 || p.ServerCPUMicros <= 0 {
		t.Errorf("payout: throughput %v server %v", p.Throughput, p.ServerCPUMicros)
	}
}
