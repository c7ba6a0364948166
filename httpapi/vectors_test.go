package httpapi_test

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/llgate/llgate/httpapi"
	"github.com/llgate/llgate/protocol"
)

type manifest struct {
	Vectors []struct {
		ID    string `json:"id"`
		Path  string `json:"path"`
		Files struct {
			Body       string `json:"body"`
			Head       string `json:"head"`
			Plain      string `json:"plain"`
			SignSource string `json:"sign_source"`
		} `json:"files"`
		Envelope bool `json:"envelope"`
	} `json:"vectors"`
}

var allRoutes = []string{
	httpapi.RouteBindApply, httpapi.RouteBindVerify, httpapi.RouteTraderBind, httpapi.RouteTraderVerify,
	httpapi.RouteUnbind, httpapi.RouteBindList, httpapi.RouteCardBin, httpapi.RoutePayApply,
	httpapi.RoutePayVerify, httpapi.RouteOrderQuery, httpapi.RouteRefund, httpapi.RouteExchangeRefund,
	httpapi.RouteRefundQuery,
}

// TestClientVectors replays every request captured from real LianLian client
// code, byte for byte over a raw TCP connection, and checks that it passes
// the pipeline: parsed, envelope opened (HMAC checked over the parts as
// sent), signature verified over exactly the sign source the client signed.
func TestClientVectors(t *testing.T) {
	dir := filepath.Join("..", "testdata", "clients")
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Vectors) != 26 {
		t.Fatalf("vectors: got %d, want 26", len(m.Vectors))
	}
	got := make(chan *httpapi.Request, 1)
	var opts []option
	for _, r := range allRoutes {
		opts = append(opts, withEndpoint(r, echo(got)))
	}
	h := newHarness(t, opts...)
	for _, v := range m.Vectors {
		t.Run(v.ID, func(t *testing.T) {
			read := func(name string) []byte {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			head, body := read(v.Files.Head), read(v.Files.Body)
			conn, err := net.Dial("tcp", h.http.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := conn.Write(append(head, body...)); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			ans := h.answer(resp)
			if ans["ret_code"] != "0000" {
				t.Fatalf("ret_code: got %s (%s), want 0000 from the echo endpoint", ans["ret_code"], ans["ret_msg"])
			}
			r := <-got
			if r.Route != v.Path {
				t.Errorf("route: got %s, want %s", r.Route, v.Path)
			}
			if r.Encrypted != v.Envelope {
				t.Errorf("encrypted: got %v, want %v", r.Encrypted, v.Envelope)
			}
			if src, want := protocol.SignSource(r.Fields), string(read(v.Files.SignSource)); src != want {
				t.Errorf("sign source:\n got %s\nwant %s", src, want)
			}
			if v.Envelope {
				plain, err := protocol.Decode(read(v.Files.Plain))
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range plain.Keys() {
					if g, w := r.Fields.Get(k), plain.Get(k); g != w {
						t.Errorf("inner field %s: got %q, want %q", k, g, w)
					}
				}
			}
		})
	}
}
