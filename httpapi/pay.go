package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// payAPI answers quick pay and the payment query; the pipeline has checked
// the fields against the endpoint table.
type payAPI struct {
	p *llgate.Payments
}

func (api *payAPI) endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		protocol.EPPayApply:   api.apply,
		protocol.EPPayVerify:  api.verify,
		protocol.EPOrderQuery: api.query,
	}
}

func (api *payAPI) apply(ctx context.Context, r *Request) (*Answer, error) {
	a, err := payApplyOf(r)
	if err != nil {
		return nil, err
	}
	o, err := api.p.Apply(ctx, a)
	if err != nil {
		return nil, err
	}
	f := r.Fields
	return r.answer(llgate.CodeSMSSent, map[string]string{
		"oid_partner": o.OidPartner, "user_id": o.UserID, "no_order": o.NoOrder, "dt_order": o.DtOrder,
		"oid_paybill": o.OidPaybill, "money_order": o.MoneyOrder, "token": o.Token, "info_order": f.Get("info_order"),
	}, nil), nil
}

// payApplyOf reads a pay apply (MPAY or Easy Payment direct) from the
// checked request fields; the caller sets the product.
func payApplyOf(r *Request) (*llgate.PayApply, error) {
	f := r.Fields
	amount, err := protocol.ParseAmount("money_order", f.Get("money_order"))
	if err != nil {
		return nil, err
	}
	valid := llgate.DefaultValidOrder
	if v := f.Get("valid_order"); v != "" {
		minutes, err := protocol.ParseValidOrder("valid_order", v)
		if err != nil {
			return nil, err
		}
		valid = time.Duration(minutes) * time.Minute
	}
	var card *llgate.Card
	if !f.Has("no_agree") {
		c := cardOf(f)
		card = &c
	}
	sc, err := scope(r)
	if err != nil {
		return nil, err
	}
	return &llgate.PayApply{
		Merchant: r.Merchant.Merchant, Scope: sc, UserID: f.Get("user_id"), NoOrder: f.Get("no_order"),
		DtOrder: f.Get("dt_order"), BusiPartner: f.Get("busi_partner"), NameGoods: f.Get("name_goods"),
		InfoOrder: f.Get("info_order"), Amount: amount, MoneyOrder: f.Get("money_order"),
		NotifyURL: f.Get("notify_url"), ValidOrder: valid, RiskItem: f.Get("risk_item"),
		PayType: f.Get("pay_type"), Family: llgate.FamilyOf(f.Get("pay_type")), NoAgree: f.Get("no_agree"), Card: card,
		SignType: r.SignType, RequestHash: requestHash(f), Addr: r.Addr,
	}, nil
}

// requestHash identifies a request for replays: every decoded field but
// sign and cvv2 (never kept, not even hashed).
func requestHash(f *protocol.Object) string {
	sum := sha256.Sum256([]byte(protocol.SignSource(f, "cvv2")))
	return hex.EncodeToString(sum[:])
}

func (api *payAPI) verify(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	var amount llgate.Amount
	if f.Has("money_order") {
		var err error
		if amount, err = protocol.ParseAmount("money_order", f.Get("money_order")); err != nil {
			return nil, err
		}
	}
	o, err := api.p.Verify(ctx, &llgate.PayVerify{
		Merchant: r.Merchant.Merchant, Token: f.Get("token"), Code: f.Get("verify_code"),
		NoOrder: f.Get("no_order"), Amount: amount,
	})
	if o != nil && llgate.ErrorCode(err) == llgate.CodeProcessing {
		return r.answer(llgate.CodeProcessing, orderFields(o, ""), nil), nil
	}
	if err != nil {
		return nil, err
	}
	fields := orderFields(o, "")
	fields["settle_date"], fields["no_agree"] = o.SettleDate, o.NoAgree
	return r.answer(llgate.CodeOK, fields, nil), nil
}

func orderFields(o *llgate.Order, infoOrder string) map[string]string {
	return map[string]string{
		"oid_partner": o.OidPartner, "no_order": o.NoOrder, "dt_order": o.DtOrder,
		"oid_paybill": o.OidPaybill, "money_order": o.MoneyOrder, "info_order": infoOrder,
	}
}

func (api *payAPI) query(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	o, s, err := api.p.Query(ctx, r.Merchant.Merchant.OidPartner, f.Get("no_order"), f.Get("dt_order"), f.Get("oid_paybill"))
	if err != nil {
		return nil, err
	}
	fields := orderFields(o, s.InfoOrder)
	fields["result_pay"], fields["pay_type"], fields["bank_code"] = o.Status, llgate.QueryPayType(o), o.BankCode
	if o.Status == llgate.OrderSuccess || o.Status == llgate.OrderRefund {
		fields["settle_date"] = o.SettleDate
	}
	if o.IsPreauth() {
		// The authorisation's state decides (§4.6, Decision 18); only a
		// capture settles.
		res, err := api.p.PreauthQuery(ctx, &llgate.PreauthOp{Merchant: r.Merchant.Merchant, OidPaybill: o.OidPaybill})
		if err != nil {
			return nil, err
		}
		fields["result_pay"], fields["settle_date"] = llgate.PreauthResultPay(res.State), ""
		if res.State == llgate.CaptureOK {
			fields["settle_date"] = res.Preauth.SettleDate
			if o.Status == llgate.OrderRefund { // the capture refunded in full
				fields["result_pay"] = llgate.OrderRefund
			}
		}
	}
	unsigned := map[string]any{"card_no": o.CardMask}
	if f.Get("query_version") == "1.1" {
		unsigned["bank_name"] = api.p.Issuer.BankName(o.BankCode)
		unsigned["memo"] = o.Memo
	}
	if o.CardLess() { // a checkout entry's order before its code step: no card to name
		delete(unsigned, "card_no")
		delete(unsigned, "bank_name")
	}
	return r.answer(llgate.CodeOK, fields, unsigned), nil
}
