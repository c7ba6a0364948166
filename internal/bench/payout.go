package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/llgate/llgate/internal/adminclient"
)

// payoutPath is the payout apply (CONTRACT-easypay-payouts §4.8): an
// accepted payout of 0.01 to a new card each time (never a suspected
// duplicate, never a confirm), from a balance topped up once.
const payoutPath = "/paymentapi/payment.htm"

// payoutSource makes the merchant live (a merchant that is not live may
// pay out only 50.00 a day), tops its balance up and starts a receiver for
// the notifications of payouts that complete while the bench runs.
func payoutSource(ctx context.Context, cfg Config, hc *http.Client, m *merchant, ids *identities) (func(int) ([]byte, error), int, error) {
	adm := &adminclient.Client{URL: cfg.BaseURL, Token: cfg.AdminToken, HTTP: hc}
	if err := adm.Do(ctx, http.MethodPatch, "/admin/merchants/"+m.oid, map[string]any{"live": true}, http.StatusOK, nil); err != nil {
		return nil, 0, fmt.Errorf("making the merchant live: %w", err)
	}
	if err := adm.Do(ctx, http.MethodPost, "/admin/merchants/"+m.oid+"/balance", map[string]string{"amount": "99999999.00"}, http.StatusOK, nil); err != nil {
		return nil, 0, fmt.Errorf("topping the balance up: %w", err)
	}
	rcv, err := StartReceiver()
	if err != nil {
		return nil, 0, err
	}
	notifyURL := rcv.URL()
	dt := time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102150405")
	return func(i int) ([]byte, error) {
		_, card := ids.card()
		return m.sealed(map[string]string{
			"no_order": fmt.Sprintf("p%s-%d", ids.run, i), "dt_order": dt, "money_order": "0.01", "card_no": card,
			"acct_name": "张三", "flag_card": "0", "info_order": "bench payout", "notify_url": notifyURL, "api_version": "1.0",
		})
	}, 0, nil
}
