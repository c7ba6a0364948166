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

// pipelineFailures are the codes a request gets when it does not pass the
// pipeline (parse, merchant, envelope, signature); a replayed client request
// must get none of them.
var pipelineFailures = map[string]bool{"1012": true, "9901": true, "3001": true, "1008": true, "9903": true,
	"4007": true, "1001": true, "9999": true}

// TestClientVectors replays every request captured from real LianLian client
// code, byte for byte over a raw TCP connection, through the real server and
// use cases, and checks that it passes the pipeline (parsed, envelope opened
// with the HMAC checked over the parts as sent, signature verified) and gets
// the business answer its content calls for; and that our decoder sees
// exactly the sign source the client signed.
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
	h := newHarness(t)
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
			if pipelineFailures[ans["ret_code"]] {
				t.Fatalf("ret_code: got %s (%s), want the request to pass the pipeline", ans["ret_code"], ans["ret_msg"])
			}
			if want := vectorAnswers[v.Path]; ans["ret_code"] != want {
				t.Errorf("ret_code: got %s (%s), want %s", ans["ret_code"], ans["ret_msg"], want)
			}
			fields, err := protocol.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			if v.Envelope {
				plain, err := protocol.OpenEnvelope(h.platform, fields.Get("pay_load"), true)
				if err != nil {
					t.Fatal(err)
				}
				if fields, err = protocol.Decode(plain); err != nil {
					t.Fatal(err)
				}
			}
			if src, want := protocol.SignSource(fields), string(read(v.Files.SignSource)); src != want {
				t.Errorf("sign source:\n got %s\nwant %s", src, want)
			}
		})
	}
}

// vectorAnswers are what the captured requests get from a fresh sandbox:
// each is a real client's request with made-up tokens and numbers, so the
// verifies and queries find nothing, and the binds and the card-BIN query
// succeed.
var vectorAnswers = map[string]string{
	"/v1/bankcardbind":      "8888",
	"/v1/bankcardbindverfy": "1000",
	"/bankcardbin.htm":      "0000",
	"/bankcardbindlist.htm": "8901",
	"/v1/bankcardprepay":    "3003",
	"/v1/bankcardpay":       "1000",
	"/orderquery.htm":       "8901",
	"/refund.htm":           "5002",
	"/refundquery.htm":      "8901",
	"/bankcardunbind.htm":   "3003",
}
