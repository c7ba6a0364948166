package golive_test

import (
	"crypto/rsa"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/golive"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/protocol"
)

const testOid = "201408071000001539"

// testNow is 2024-05-01 18:00:00 China time.
var testNow = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func readKey(tb testing.TB, path string) *rsa.PrivateKey {
	b, err := os.ReadFile(path)
	k, perr := protocol.ParsePrivateKey(string(b))
	if err != nil || perr != nil {
		tb.Fatal(path, err, perr)
	}
	return k
}

// keys are the repository's test keys: the platform's, and the merchant's
// standing in for a forger's (no key generation under the race detector).
func keys(tb testing.TB) (platform, forger *rsa.PrivateKey) {
	return readKey(tb, "../testdata/clients/keys/platform_private_pkcs8.pem"),
		readKey(tb, "../testdata/clients/keys/merchant_private_pkcs8.pem")
}

// received is one request a receiver got.
type received struct {
	contentType string
	body        []byte
	verified    bool // with the platform public key, by the SDK
}

// receiver is a merchant's notify endpoint on loopback: it verifies each
// body with the SDK and lets answer decide the reply. It records every
// request and counts the connections made to it.
type receiver struct {
	srv   *httptest.Server
	conns atomic.Int64
	mu    sync.Mutex
	got   []received
}

func newReceiver(t *testing.T, pub *rsa.PublicKey, answer func(w http.ResponseWriter, body []byte, verified bool)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("receiver: %v", err)
			return
		}
		_, verr := client.VerifyNotification(body, pub)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Get("Content-Type"), body, verr == nil})
		rc.mu.Unlock()
		answer(w, body, verr == nil)
	}))
	rc.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			rc.conns.Add(1)
		}
	}
	rc.srv.Start()
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func ack(w http.ResponseWriter) { _, _ = w.Write(client.Acknowledge()) }

// correct answers as a careful receiver does: 0000 for what verifies.
func correct(w http.ResponseWriter, _ []byte, verified bool) {
	if verified {
		ack(w)
		return
	}
	refuse(w)
}

func refuse(w http.ResponseWriter) {
	_, _ = io.WriteString(w, `{"ret_code":"9999","ret_msg":"rejected"}`)
}

// checker is a sandbox-mode check of url at testNow.
func checker(t *testing.T, url string) *golive.Checker {
	platform, forger := keys(t)
	return &golive.Checker{
		PlatformKey: platform, ForgeKey: forger, OidPartner: testOid, URL: url,
		Transport: notify.NewTransport(false, true),
		Clock:     llgate.ClockFunc(func() time.Time { return testNow }),
	}
}

// verdicts is each step's id and verdict, "a+ b- ..." style.
func verdicts(rep *golive.Report) string {
	out := ""
	for _, s := range rep.Steps {
		mark := "-"
		if s.Pass {
			mark = "+"
		}
		if out != "" {
			out += " "
		}
		out += s.ID + mark
	}
	return out
}

// fields decodes a notification body.
func fields(tb testing.TB, body []byte) map[string]string {
	tb.Helper()
	o, err := protocol.Decode(body)
	if err != nil {
		tb.Fatalf("%v: %s", err, body)
	}
	m := make(map[string]string)
	for _, k := range o.Keys() {
		m[k] = o.Get(k)
	}
	return m
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// newServer serves h on loopback and returns its URL.
func newServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
