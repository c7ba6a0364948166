package e2e

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// businessOutcome is what a fresh server answers each captured request
// (manifest.json "business"): binds succeed, everything naming the capture
// server's tokens and agreements is unknown here.
var businessOutcome = map[string]string{
	"/v1/bankcardbind":      "8888",
	"/v1/bankcardbindverfy": "1000",
	"/bankcardbin.htm":      "0000",
	"/bankcardbindlist.htm": "8901",
	"/bankcardunbind.htm":   "3003",
	"/v1/bankcardprepay":    "3003", // its no_agree is the capture server's
	"/v1/bankcardpay":       "1000",
	"/orderquery.htm":       "8901",
	"/refund.htm":           "5002",
	"/refundquery.htm":      "8901",
}

// TestClientVectorsBusiness replays the real client bytes against the fully
// wired sandbox, set up as the vectors' README says (their platform key and
// merchants.json), and checks each business answer.
func TestClientVectorsBusiness(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t))
		dir := filepath.Join("..", "testdata", "clients")
		var merchants []map[string]any
		raw, _ := os.ReadFile(filepath.Join(dir, "keys", "merchants.json"))
		if err := json.Unmarshal(raw, &merchants); err != nil {
			t.Fatal(err)
		}
		e.admin("POST", "/admin/merchants", merchants[0], http.StatusCreated, nil)

		var m struct {
			Vectors []struct {
				ID    string `json:"id"`
				Path  string `json:"path"`
				Files struct {
					Body string `json:"body"`
					Head string `json:"head"`
				} `json:"files"`
			} `json:"vectors"`
		}
		raw, _ = os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		for _, v := range m.Vectors {
			head, _ := os.ReadFile(filepath.Join(dir, v.Files.Head))
			body, _ := os.ReadFile(filepath.Join(dir, v.Files.Body))
			got := e.raw(t, append(head, body...))
			if want := businessOutcome[v.Path]; got != want {
				t.Errorf("%s: ret_code %s, want %s", v.ID, got, want)
			}
		}
		// The bind applies sent their codes to the vector phones.
		for _, mobile := range []string{"13800138000", "13800138001", "13800138002"} {
			if e.smsCount(mobile) == 0 {
				t.Errorf("no SMS to %s", mobile)
			}
		}
	})
}

// raw sends request bytes over a fresh TCP connection and returns the
// answer's ret_code after checking its platform signature.
func (e *env) raw(t *testing.T, request []byte) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&buf)
	obj, err := protocol.Decode([]byte(buf.String()))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("answer %d %q: %v", resp.StatusCode, buf.String(), err)
	}
	if err := protocol.Verify(&e.app.PlatformKey.PublicKey, obj.Get("sign_type"), protocol.SignSource(obj, "agreement_list"), obj.Get("sign")); err != nil {
		t.Fatalf("answer signature: %v", err)
	}
	return obj.Get("ret_code")
}
