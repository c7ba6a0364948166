package httpapi

import (
	"context"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// refundAPI answers refunds and the refund query.
type refundAPI struct {
	r *llgate.Refunds
}

func (api *refundAPI) endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		protocol.EPRefund:         api.apply,
		protocol.EPExchangeRefund: api.apply,
		protocol.EPRefundQuery:    api.query,
	}
}

func (api *refundAPI) apply(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	if err := Require(f, "no_refund", "dt_refund", "money_refund", "notify_url"); err != nil {
		return nil, err
	}
	if !f.Has("oid_paybill") {
		if err := Require(f, "no_order"); err != nil {
			return nil, err
		}
	}
	amount, err := protocol.ParseAmount("money_refund", f.Get("money_refund"))
	if err != nil {
		return nil, err
	}
	for _, err := range []error{
		protocol.ValidateOrderNo("no_refund", f.Get("no_refund")),
		field(f, "dt_refund", func(n, v string) error { _, err := protocol.ParseTime(n, v); return err }),
		field(f, "dt_order", func(n, v string) error { _, err := protocol.ParseTime(n, v); return err }),
		field(f, "no_order", protocol.ValidateOrderNo),
		field(f, "oid_paybill", protocol.ValidateNoAgree), // 16 digits, like no_agree
		protocol.ValidateURL("notify_url", f.Get("notify_url")),
	} {
		if err != nil {
			return nil, err
		}
	}
	ref, o, err := api.r.Apply(ctx, &llgate.RefundApply{
		Merchant: r.Merchant.Merchant, NoRefund: f.Get("no_refund"), DtRefund: f.Get("dt_refund"),
		Amount: amount, MoneyRefund: f.Get("money_refund"), NoOrder: f.Get("no_order"), DtOrder: f.Get("dt_order"),
		OidPaybill: f.Get("oid_paybill"), NotifyURL: f.Get("notify_url"), SignType: r.SignType, RequestHash: requestHash(f),
	})
	if err != nil {
		return nil, err
	}
	return NewAnswer(llgate.CodeOK, llgate.RefundFields(ref, o)), nil
}

func (api *refundAPI) query(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	ref, o, err := api.r.Query(ctx, r.Merchant.Merchant.OidPartner, f.Get("no_refund"), f.Get("dt_refund"), f.Get("oid_refundno"))
	if err != nil {
		return nil, err
	}
	return NewAnswer(llgate.CodeOK, llgate.RefundFields(ref, o)), nil
}
