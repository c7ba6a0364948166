package bench

import (
	"context"
	"os"
	"testing"
)

func TestRunPay(t *testing.T) {
	base := server(t)
	const n = 50
	rep, err := Run(context.Background(), Config{
		BaseURL: base, AdminToken: adminToken, Requests: n, Concurrency: 4, Paths: []string{"pay-apply", "pay-verify"},
		ServerCPU: ProcessCPU(os.Getpid()), ServerLimits: "off", RSAOps: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Paths) != 2 {
		t.Fatalf("paths: %+v", rep.Paths)
	}
	for i, want := range []struct {
		name string
		ops  int
	}{{"pay-apply", 3}, {"pay-verify", 2}} {
		p := rep.Paths[i]
		if p.Path != want.name || p.UnavoidableOps != want.ops || p.Requests != n || p.ErrorCount != 0 || p.DistinctRequests != n {
			t.Errorf("%s: %+v", want.name, p)
		}
		if p.Throughput <= 0 || p.ServerCPUMicros <= 0 || p.CryptoShare <= 0 {
			t.Errorf("%s: throughput %v server %v share %v", p.Path, p.Throughput, p.ServerCPUMicros, p.CryptoShare)
		}
	}
}

func TestRunPayVerifyAlone(t *testing.T) {
	base := server(t)
	if _, err := Run(context.Background(), Config{
		BaseURL: base, AdminToken: adminToken, Requests: 5, Paths: []string{"pay-verify"}, RSAOps: 2,
	}); err == nil {
		t.Error("pay-verify without pay-apply: no error")
	}
}
