package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
)

// TestReportsByTheClock: a payment and a refund, then the clock passes 09:00
// of the next China day: the day's files are due, and download decrypted
// through the admin API.
func TestReportsByTheClock(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), limitsOff)
		c := e.merchant(oidA, map[string]any{"sms_code": "123456"})
		rcv := newReceiver(t)
		na := e.bind(c, "rep", zhang, card(t, 1300, "0000"))
		p := paid(t, e, c, "rep", na, "12.34", rcv.url())
		r, err := c.Refund(t.Context(), refundFields(p, nextOrder("rep"), "0.34", rcv.url()))
		wantCode(t, "refund", r, err, "0000")
		e.advance(5*time.Minute + time.Second)
		rcv.wait(2)

		now, _ := time.Parse(time.RFC3339, e.clockNow())
		cn := now.In(llgate.ChinaTime)
		day := cn.Format("20060102")
		next9 := time.Date(cn.Year(), cn.Month(), cn.Day()+1, 9, 0, 1, 0, llgate.ChinaTime)
		e.advance(next9.Sub(now))

		name := "JYMX_" + oidA + "_" + day + ".txt"
		var list struct {
			Reports []struct {
				Name string `json:"name"`
				Size int64  `json:"size"`
			} `json:"reports"`
		}
		// The report loop (App.Start) writes the files by itself within a
		// second; RunDue does the same due work here, deterministically (it is
		// idempotent and safe beside the loop), so the test waits on nothing.
		for {
			n, err := e.app.Reports.RunDue(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		e.admin("GET", "/admin/reports?oid_partner="+oidA, nil, 200, &list)
		found := false
		for _, rp := range list.Reports {
			found = found || rp.Name == name && rp.Size > 0
		}
		if !found {
			t.Fatalf("no %s among %v", name, list.Reports)
		}
		req, _ := http.NewRequest("GET", e.srv.URL+"/admin/reports/"+name, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "no_order|oid_partner|dt_order|") {
			t.Fatalf("report:\n%s", body)
		}
		if !strings.Contains(lines[1], "|12.34|") || !strings.Contains(lines[1], "|0|") || !strings.Contains(lines[2], "|-0.34|") || !strings.Contains(lines[2], "|5|") {
			t.Errorf("rows:\n%s", body)
		}
	})
}
