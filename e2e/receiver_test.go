package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/llgate/llgate/protocol"
)

// receiver is a merchant's notification endpoint (a fake edge): it records
// every body and acknowledges as the merchant's code would.
type receiver struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	got  [][]byte
	ct   []string
	fail int // answer 500 to this many first attempts
	cond *sync.Cond
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.cond = sync.NewCond(&r.mu)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, b)
		r.ct = append(r.ct, req.Header.Get("Content-Type"))
		failing := r.fail > 0
		if failing {
			r.fail--
		}
		r.mu.Unlock()
		r.cond.Broadcast()
		if failing {
			http.Error(w, "busy", 500)
			return
		}
		io.WriteString(w, `{"ret_code":"0000","ret_msg":"交易成功"}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + "/notify" }

// wait blocks until n bodies have arrived (the worker runs by itself) or
// the deadline passes; it returns them decoded.
func (r *receiver) wait(n int) []map[string]string {
	r.t.Helper()
	deadline := time.AfterFunc(20*time.Second, func() { r.cond.Broadcast() })
	defer deadline.Stop()
	start := time.Now()
	r.mu.Lock()
	for len(r.got) < n && time.Since(start) < 20*time.Second {
		r.cond.Wait()
	}
	got := append([][]byte(nil), r.got...)
	r.mu.Unlock()
	if len(got) < n {
		r.t.Fatalf("notifications: got %d, want %d", len(got), n)
	}
	out := make([]map[string]string, 0, len(got))
	for _, b := range got {
		o, err := protocol.Decode(b)
		if err != nil {
			r.t.Fatalf("notification is not strict JSON: %v", err)
		}
		m := map[string]string{}
		for _, k := range o.Keys() {
			m[k] = o.Get(k)
		}
		out = append(out, m)
	}
	return out
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func (r *receiver) raw(i int) ([]byte, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[i], r.ct[i]
}
