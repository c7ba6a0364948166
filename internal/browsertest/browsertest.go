// Package browsertest starts headless Chromium for the pages' tests (the
// console, the cashier, the simulated bank and wallet) through chromedp.
//
// Without a Chromium on the machine a browser test skips, saying so, except
// under CI=true where it fails: CI installs Chromium (.ci/run), and a
// browser test that silently never runs proves nothing. Chromium is started
// offline: it may load nothing but the test's own loopback servers.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path is where Chromium is, or "".
func Path() string {
	if p := os.Getenv("LLGATE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

var (
	allocOnce sync.Once
	allocCtx  context.Context
)

// New returns a fresh browser tab (its own incognito-like context) for t,
// closed when t ends, and a per-call deadline: every action of the test
// should finish within timeout, or the test fails rather than hangs.
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := Path()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("browsertest: no Chromium on this machine, and CI=true: .ci/run installs it (apt-get install chromium)")
		}
		t.Skip("browsertest: no Chromium found (apt-get install chromium, or set LLGATE_CHROMIUM): browser test skipped")
	}
	allocOnce.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox, // tests run as root in CI
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("no-proxy-server", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-domain-reliability", true),
		)
		// The allocator lives for the test binary: one Chromium, a new
		// browser context per test.
		allocCtx, _ = chromedp.NewExecAllocator(context.Background(), opts...)
	})
	ctx, cancel := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("browsertest: starting Chromium (%s): %v", path, err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
	})
	return ctx
}
