package httpapi

import (
	"context"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// easypayAPI answers the Easy Payment direct API (CONTRACT-easypay-payouts
// §4.5) through the one payment engine, with the product Easy Payment.
type easypayAPI struct {
	p *llgate.Payments
}

func (api *easypayAPI) endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		protocol.EPEasypayApply:  api.apply,
		protocol.EPEasypayVerify: api.verify,
	}
}

func (api *easypayAPI) apply(ctx context.Context, r *Request) (*Answer, error) {
	a, err := payApplyOf(r)
	if err != nil {
		return nil, err
	}
	a.Product, a.NoSMS = llgate.PayProductEasypay, r.Merchant.Merchant.EasypayNoSMS
	o, err := api.p.Apply(ctx, a)
	f := r.Fields
	fields := func(o *llgate.Order) map[string]string {
		return map[string]string{
			"oid_partner": o.OidPartner, "no_order": o.NoOrder, "dt_order": o.DtOrder, "oid_paybill": o.OidPaybill,
			"money_order": o.MoneyOrder, "name_goods": f.Get("name_goods"), "pay_type": o.PayType,
			"info_order": f.Get("info_order"), "bank_code": o.BankCode,
		}
	}
	if !a.NoSMS {
		if err != nil {
			return nil, err
		}
		out := fields(o)
		out["token"] = o.Token
		return r.answer(llgate.CodeOK, out, nil), nil
	}
	// No SMS: the apply paid at once (Decision 17 for the 2008 card).
	if o != nil && llgate.ErrorCode(err) == llgate.CodeProcessing {
		out := fields(o)
		out["result_pay"] = llgate.OrderProcessing
		return r.answer(llgate.CodeProcessing, out, nil), nil
	}
	if err != nil {
		return nil, err
	}
	switch o.Status {
	case llgate.OrderSuccess, llgate.OrderRefund:
	case llgate.OrderProcessing:
		out := fields(o)
		out["result_pay"] = llgate.OrderProcessing
		return r.answer(llgate.CodeProcessing, out, nil), nil
	case llgate.OrderClosed:
		return nil, llgate.Errorf(llgate.CodeClosed, "order closed by valid_order")
	default:
		return nil, llgate.Errorf(llgate.CodeFailed, "payment failed")
	}
	out := fields(o)
	out["result_pay"], out["no_agree"] = llgate.OrderSuccess, o.NoAgree
	if !o.IsPreauth() {
		out["settle_date"] = o.SettleDate
	}
	return r.answer(llgate.CodeOK, out, nil), nil
}

func (api *easypayAPI) verify(ctx context.Context, r *Request) (*Answer, error) {
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
		NoOrder: f.Get("no_order"), DtOrder: f.Get("dt_order"), Amount: amount, Product: llgate.PayProductEasypay,
	})
	if o == nil || err != nil && llgate.ErrorCode(err) != llgate.CodeProcessing {
		return nil, err
	}
	s, serr := llgate.OpenOrderSecret(ctx, api.p.Vault, o)
	if serr != nil {
		return nil, serr
	}
	out := orderFields(o, s.InfoOrder)
	out["currency_order"], out["name_goods"], out["pay_type"], out["bank_code"] = "CNY", s.NameGoods, o.PayType, o.BankCode
	if err != nil { // 2008: the clock finishes it
		out["result_pay"] = llgate.OrderProcessing
		return r.answer(llgate.CodeProcessing, out, nil), nil
	}
	out["result_pay"], out["no_agree"] = llgate.OrderSuccess, o.NoAgree
	if !o.IsPreauth() {
		out["settle_date"] = o.SettleDate
	}
	return r.answer(llgate.CodeOK, out, nil), nil
}
