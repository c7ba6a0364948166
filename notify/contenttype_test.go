package notify

import (
	"context"
	"os"
	"testing"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// TestContentTypeByMerchant: a delivery is sent with its merchant's
// notify_content_type (Decision 11); the default, and a merchant that is
// gone, get text/json.
func TestContentTypeByMerchant(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setting string // "-": no merchant at all
		want    string
	}{
		{"Default", "", "text/json;charset=utf-8"},
		{"Application", llgate.NotifyJSONApplication, "application/json;charset=utf-8"},
		{"Text", llgate.NotifyJSONText, "text/json;charset=utf-8"},
		{"NoMerchant", "-", "text/json;charset=utf-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ms := &llgate.Merchants{Store: e.store, Vault: e.vault, Clock: e.clock, ParseKey: protocol.ParsePublicKey}
			if tc.setting != "-" {
				key, err := os.ReadFile("../testdata/clients/keys/merchant_public_spki.pem")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := ms.Create(context.Background(), &llgate.Merchant{
					OidPartner: testOid, PublicKeys: []string{string(key)}, SignTypes: []string{llgate.SignRSA},
					NotifyContentType: tc.setting,
				}, ""); err != nil {
					t.Fatal(err)
				}
			}
			rc := newReceiver(t, ackAnswer)
			e.enqueue(rc.URL+"/n", 1)
			o := e.outbox()
			o.Merchants = ms
			runOnce(t, &Worker{Outbox: o, Timeout: e.worker().Timeout}, 1)
			reqs := rc.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			if reqs[0].contentType != tc.want {
				t.Fatalf("Content-Type %q, want %q", reqs[0].contentType, tc.want)
			}
		})
	}
}
