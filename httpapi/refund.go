package httpapi

import (
	"context"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// refundAPI answers refunds and the refund query; the pipeline has checked
// the fields against the endpoint table.
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
	amount, err := protocol.ParseAmount("money_refund", f.Get("money_refund"))
	if err != nil {
		return nil, err
	}
	ref, o, err := api.r.Apply(ctx, &llgate.RefundApply{
		Merchant: r.Merchant.Merchant, NoRefund: f.Get("no_refund"), DtRefund: f.Get("dt_refund"),
		Amount: amount, MoneyRefund: f.Get("money_refund"), NoOrder: f.Get("no_order"), DtOrder: f.Get("dt_order"),
		OidPaybill: f.Get("oid_paybill"), NotifyURL: f.Get("notify_url"), SignType: r.SignType, RequestHash: requestHash(f),
	})
	if err != nil {
		return nil, err
	}
	return r.answer(llgate.CodeOK, protocol.RefundFieldsOf(ref, o), nil), nil
}

func (api *refundAPI) query(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	ref, o, err := api.r.Query(ctx, r.Merchant.Merchant.OidPartner, f.Get("no_refund"), f.Get("dt_refund"), f.Get("oid_refundno"))
	if err != nil {
		return nil, err
	}
	return r.answer(llgate.CodeOK, protocol.RefundFieldsOf(ref, o), nil), nil
}
