package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/notify"
)

// adminNotification is one entry of GET /admin/notifications.
type adminNotification struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Attempts []struct {
		HTTPStatus int    `json:"http_status"`
		Answer     string `json:"answer"`
	} `json:"attempts"`
}

// notificationWhen polls the admin API until the notification of noOrder
// satisfies ok (the worker runs by itself), or fails after 20 s.
func (e *env) notificationWhen(noOrder string, ok func(adminNotification) bool) adminNotification {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var got struct{ Notifications []adminNotification }
		e.admin("GET", "/admin/notifications?no_order="+noOrder, nil, 200, &got)
		if len(got.Notifications) == 1 && ok(got.Notifications[0]) {
			return got.Notifications[0]
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("notification of %s after 20 s: %+v", noOrder, got.Notifications)
		}
		<-tick.C
	}
}

// TestNotifyEchoMasked: a merchant with notify_extra_fields gets the card
// and the cardholder in its notifications; its receiver echoes them back
// the way PHP's print_r does (under no key the masking knows). What the
// admin API shows of the answer, and every log line, hold none of them.
func TestNotifyEchoMasked(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		logs := &syncBuffer{}
		e := newEnv(t, open(t), limitsOff, func(o *app.Options) {
			o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		c := e.merchant(oidA, map[string]any{"sms_code": "123456", "notify_extra_fields": true})
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			var fields map[string]string
			_ = json.Unmarshal(body, &fields)
			keys := make([]string, 0, len(fields))
			for k := range fields {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			fmt.Fprint(w, "Array\n(\n")
			for _, k := range keys {
				fmt.Fprintf(w, "    [%s] => %s\n", k, fields[k])
			}
			fmt.Fprint(w, ")\n")
		}))
		t.Cleanup(echo.Close)
		cardNo := card(t, 950, "0000")
		na := e.bind(c, "echo-buyer", zhang, cardNo)
		r := payWithAgree(t, c, "echo-buyer", na, "3.00", echo.URL+"/notify.php")
		v, err := verifyPay(c, r, "123456")
		wantCode(t, "verify", v, err, "0000")

		n := e.notificationWhen(r.Get("no_order"), func(n adminNotification) bool { return len(n.Attempts) > 0 })
		answer := n.Attempts[0].Answer
		if !strings.Contains(answer, "[acct_name] => 张*") || !strings.Contains(answer, "[card_no] => ") {
			t.Errorf("answer %q: want the echo, masked", answer)
		}
		secrets := map[string]string{"card_no": cardNo, "id_no": zhang.idNo, "acct_name": zhang.name,
			"info_order": "order info 13800138000", "phone": "13800138000", "name (JSON escape)": `\u5f20\u4e09`}
		for what, s := range secrets {
			if strings.Contains(answer, s) {
				t.Errorf("the stored answer shows %s: %q", what, answer)
			}
		}
		// The worker logs the answer of an attempt it was not thanked for.
		// The worker logs the answer of an attempt it was not thanked for,
		// right after recording it.
		deadline := time.Now().Add(20 * time.Second)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for !strings.Contains(logs.String(), "attempt not acknowledged") {
			if time.Now().After(deadline) {
				t.Fatalf("no log line about the attempt:\n%s", logs.String())
			}
			<-tick.C
		}
		for what, s := range secrets {
			if strings.Contains(logs.String(), s) {
				t.Errorf("the log shows %s", what)
			}
		}
	})
}

// TestNotifyGatewayBlocked: in gateway mode a queued notification whose
// receiver the address guard refuses when dialing (here loopback; a name
// that resolved publicly when the payment was made could resolve there
// later) is failed after one attempt, the reason stored (CONTRACT.md §1).
func TestNotifyGatewayBlocked(t *testing.T) {
	engines(t, func(t *testing.T, open func(testing.TB) llgate.Store) {
		e := newEnv(t, open(t), func(o *app.Options) { o.Mode = llgate.ModeGateway })
		rcv := newReceiver(t)
		ctx := context.Background()
		body, err := notify.Signer{Key: e.app.PlatformKey}.Sign(map[string]string{"oid_partner": oidA, "no_order": "gw-1"}, "RSA")
		if err != nil {
			t.Fatal(err)
		}
		id := llgate.NewID()
		sealed, err := e.app.Vault.Seal(ctx, oidA, llgate.TableNotifications, id, body)
		if err != nil {
			t.Fatal(err)
		}
		now := e.app.Clock.Now()
		err = e.app.Store.Update(ctx, func(tx llgate.Tx) error {
			return tx.InsertNotification(ctx, &llgate.Notification{ID: id, OidPartner: oidA, Kind: llgate.NotifyPayment,
				NoOrder: "gw-1", URL: rcv.url(), Body: sealed, Status: llgate.NotifyPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now})
		})
		if err != nil {
			t.Fatal(err)
		}
		e.app.Notifier.Wake()

		n := e.notificationWhen("gw-1", func(n adminNotification) bool { return n.Status != llgate.NotifyPending })
		if n.Status != llgate.NotifyFailed || len(n.Attempts) != 1 {
			t.Fatalf("notification: %+v; want failed after one attempt", n)
		}
		if a := n.Attempts[0]; a.HTTPStatus != 0 || !strings.Contains(a.Answer, "loopback address") {
			t.Errorf("attempt %+v: want no HTTP status and the guard's reason", a)
		}
		if got := rcv.count(); got != 0 {
			t.Errorf("the loopback receiver got %d requests", got)
		}
	})
}
