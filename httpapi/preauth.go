package httpapi

import (
	"context"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// preauthAPI answers pre-authorisation capture, cancel and status
// (CONTRACT-easypay-payouts §4.6).
type preauthAPI struct {
	p *llgate.Payments
}

func (api *preauthAPI) endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		protocol.EPPreauthCapture: api.capture,
		protocol.EPPreauthCancel:  api.cancel,
		protocol.EPPreauthQuery:   api.query,
	}
}

// op reads the authorisation a request names; withAmount: money_order is
// part of it.
func preauthOpOf(r *Request, withAmount bool) (*llgate.PreauthOp, error) {
	f := r.Fields
	if _, err := scope(r); err != nil {
		return nil, err
	}
	op := &llgate.PreauthOp{
		Merchant: r.Merchant.Merchant, UserID: f.Get("user_id"), NoOrder: f.Get("no_order"), DtOrder: f.Get("dt_order"),
		OidPaybill: f.Get("oid_paybill"), MoneyOrder: f.Get("money_order"), InfoOrder: f.Get("info_order"),
		RequestHash: requestHash(f),
	}
	if withAmount {
		var err error
		if op.Amount, err = protocol.ParseAmount("money_order", f.Get("money_order")); err != nil {
			return nil, err
		}
	}
	return op, nil
}

func preauthFields(res *llgate.PreauthResult) map[string]string {
	o := res.Order
	return map[string]string{
		"oid_partner": o.OidPartner, "no_order": o.NoOrder, "dt_order": o.DtOrder, "oid_paybill": o.OidPaybill,
		"user_id": o.UserID,
	}
}

// done answers a capture or cancel: 0000, or 2008 while the issuer is
// processing (with the same fields), or the refusal.
func done(r *Request, res *llgate.PreauthResult, err error, fields map[string]string) (*Answer, error) {
	code := llgate.ErrorCode(err)
	switch {
	case err == nil:
		return r.answer(llgate.CodeOK, fields, nil), nil
	case res != nil && code == llgate.CodeProcessing:
		return r.answer(llgate.CodeProcessing, fields, nil), nil
	}
	return nil, err
}

func (api *preauthAPI) capture(ctx context.Context, r *Request) (*Answer, error) {
	op, err := preauthOpOf(r, true)
	if err != nil {
		return nil, err
	}
	res, err := api.p.Capture(ctx, op)
	if res == nil {
		return nil, err
	}
	fields := preauthFields(res)
	fields["money_order"], fields["settle_date"], fields["info_order"] = res.Preauth.MoneyOrder, res.Preauth.SettleDate, res.InfoOrder
	return done(r, res, err, fields)
}

func (api *preauthAPI) cancel(ctx context.Context, r *Request) (*Answer, error) {
	op, err := preauthOpOf(r, true)
	if err != nil {
		return nil, err
	}
	res, err := api.p.CancelPreauth(ctx, op)
	if res == nil {
		return nil, err
	}
	return done(r, res, err, preauthFields(res))
}

// query answers the state as ret_code (its message from the state table).
func (api *preauthAPI) query(ctx context.Context, r *Request) (*Answer, error) {
	op, err := preauthOpOf(r, false)
	if err != nil {
		return nil, err
	}
	res, err := api.p.PreauthQuery(ctx, op)
	if err != nil {
		return nil, err
	}
	fields := preauthFields(res)
	fields["money_order"] = res.Order.MoneyOrder
	return r.answer(res.State, fields, nil), nil
}
