package httpapi

import (
	"context"
	"net/http"
	"strings"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/notify"
	"github.com/llgate/llgate/protocol"
)

// payoutAPI answers the Instant Payment endpoints (CONTRACT-easypay-payouts
// §4.8, §4.9, §4.11).
type payoutAPI struct {
	p *llgate.Payouts
}

func (api *payoutAPI) endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		protocol.EPPayout:        api.apply,
		protocol.EPPayoutConfirm: api.confirm,
		protocol.EPPayoutQuery:   api.query,
	}
}

// defaultPayouts is the payout use case over the server's parts: the
// simulated channel (test digits in the sandbox), notifications signed with
// the platform key.
func defaultPayouts(cfg *Config) *llgate.Payouts {
	var iss llgate.Issuer
	if cfg.Binding != nil {
		iss = cfg.Binding.Issuer
	}
	return &llgate.Payouts{
		Store: cfg.Store, Vault: cfg.Vault, Clock: cfg.Clock, Issuer: iss,
		Channel: issuer.PayoutChannel{Outcomes: cfg.Mode == llgate.ModeSandbox},
		Sign:    notify.Signer{Key: cfg.PlatformKey}.Sign, Wake: cfg.Wake,
	}
}

func payoutAnswer(r *Request, ans *llgate.PayoutAnswer) *Answer {
	po := ans.Payout
	return r.answer(ans.Code, map[string]string{
		"oid_partner": po.OidPartner, "no_order": po.NoOrder, "oid_paybill": po.OidPaybill, "confirm_code": ans.ConfirmCode,
	}, nil)
}

func (api *payoutAPI) apply(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	amount, err := protocol.ParseAmount("money_order", f.Get("money_order"))
	if err != nil {
		return nil, err
	}
	ans, err := api.p.Apply(ctx, &llgate.PayoutApply{
		Merchant: r.Merchant.Merchant, NoOrder: f.Get("no_order"), DtOrder: f.Get("dt_order"), Amount: amount,
		MoneyOrder: f.Get("money_order"), FlagCard: f.Get("flag_card"), CardNo: f.Get("card_no"),
		AcctName: f.Get("acct_name"), BankCode: f.Get("bank_code"), InfoOrder: f.Get("info_order"), Memo: f.Get("memo"),
		NotifyURL: f.Get("notify_url"), SignType: r.SignType, RequestHash: requestHash(f),
	})
	if err != nil {
		return nil, err
	}
	return payoutAnswer(r, ans), nil
}

func (api *payoutAPI) confirm(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	ans, err := api.p.Confirm(ctx, &llgate.PayoutConfirm{
		Merchant: r.Merchant.Merchant, NoOrder: f.Get("no_order"), Code: f.Get("confirm_code"),
		NotifyURL: f.Get("notify_url"), RequestHash: requestHash(f),
	})
	if err != nil {
		return nil, err
	}
	return payoutAnswer(r, ans), nil
}

// payoutMemo is the query's memo: the failure's ret_msg, or 银行退票 for a
// bank return.
func payoutMemo(po *llgate.Payout) string {
	switch po.State {
	case llgate.PayoutFailure:
		return protocol.RetMsg(po.Reason, "")
	case llgate.PayoutCancel:
		return "银行退票"
	}
	return ""
}

func (api *payoutAPI) query(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	po, s, err := api.p.Query(ctx, r.Merchant.Merchant.OidPartner, f.Get("no_order"), f.Get("oid_paybill"))
	if err != nil {
		return nil, err
	}
	fields := map[string]string{
		"oid_partner": po.OidPartner, "no_order": po.NoOrder, "dt_order": po.DtOrder, "money_order": po.MoneyOrder,
		"result_pay": po.State, "oid_paybill": po.OidPaybill, "info_order": s.InfoOrder, "memo": payoutMemo(po),
	}
	if po.State == llgate.PayoutSuccess || po.State == llgate.PayoutCancel {
		fields["settle_date"] = po.SettleDate
	}
	return r.answer(llgate.CodeOK, fields, nil), nil
}

// payoutJSON is one payout of /admin/payouts (§4.15).
type payoutJSON struct {
	OidPartner  string `json:"oid_partner"`
	NoOrder     string `json:"no_order"`
	OidPaybill  string `json:"oid_paybill"`
	State       string `json:"state"`
	MoneyOrder  string `json:"money_order"`
	CardNo      string `json:"card_no"` // masked
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
	ConfirmCode string `json:"confirm_code,omitempty"` // sandbox, CHECK only
}

func (s *Server) handlePayouts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ps, err := s.cfg.Payouts.List(r.Context(), trimmed(q.Get("oid_partner")), trimmed(q.Get("no_order")), queryLimit(r, 100, 1000))
	if err != nil {
		s.storeError(w, err)
		return
	}
	out := []payoutJSON{}
	for _, po := range ps {
		j := payoutJSON{
			OidPartner: po.OidPartner, NoOrder: po.NoOrder, OidPaybill: po.OidPaybill, State: po.State,
			MoneyOrder: po.MoneyOrder, CardNo: strings.Repeat("*", 4) + po.CardLast4,
			CreatedAt: po.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
			UpdatedAt: po.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		}
		if s.sandbox() && po.State == llgate.PayoutCheck {
			sec, err := s.cfg.Payouts.Open(r.Context(), po)
			if err != nil {
				s.storeError(w, err)
				return
			}
			j.ConfirmCode = sec.ConfirmCode
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"payouts": out})
}
