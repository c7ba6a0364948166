package client

import "context"

// Endpoint paths, as the LianLian docs and clients spell them.
const (
	PathBindApply       = "/v1/bankcardbind"
	PathBindVerify      = "/v1/bankcardbindverfy"
	PathBindApplyPlain  = "/bankcardbind.htm"
	PathBindVerifyPlain = "/bankcardbindverfy.htm"
	PathUnbind          = "/bankcardunbind.htm"
	PathBindList        = "/bankcardbindlist.htm"
	PathCardBin         = "/bankcardbin.htm"
	PathPayApply        = "/v1/bankcardprepay"
	PathPayVerify       = "/v1/bankcardpay"
	PathOrderQuery      = "/orderquery.htm"
	PathRefund          = "/refund.htm"
	PathRefundQuery     = "/refundquery.htm"
)

// The helpers below are thin wrappers over Call and CallEncrypted; the
// fields are the API's own (see the LianLian docs or llgate's CONTRACT.md).
// oid_partner and sign_type are filled in when absent.

// BindApply starts a card bind on the MPAY API (encrypted); success is 8888
// with a token, and an SMS code goes to bind_mob.
func (c *Client) BindApply(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.CallEncrypted(ctx, PathBindApply, fields)
}

// BindApplyPlain starts a card bind on the trader API (plain signed JSON);
// success is 0000 with a token.
func (c *Client) BindApplyPlain(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Call(ctx, PathBindApplyPlain, fields)
}

// BindVerify completes an MPAY bind with token and verify_code; success
// carries no_agree.
func (c *Client) BindVerify(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Call(ctx, PathBindVerify, fields)
}

// BindVerifyPlain completes a trader-API bind with token and verify_code.
func (c *Client) BindVerifyPlain(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Call(ctx, PathBindVerifyPlain, fields)
}

// Unbind ends an agreement (no_agree).
func (c *Client) Unbind(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Call(ctx, PathUnbind, fields)
}

// BindList lists a user's agreements; read them with Response.AgreementList.
func (c *Client) BindList(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Call(ctx, PathBindList, fields)
}

// CardBin looks up the bank and card type of card_no.
func (c *Client) CardBin(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Call(ctx, PathCardBin, fields)
}

// PayApply starts a payment with card elements or no_agree (encrypted);
// success is 8888 with a token, and an SMS code goes to the cardholder.
func (c *Client) PayApply(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.CallEncrypted(ctx, PathPayApply, fields)
}

// PayVerify completes a payment with token and verify_code.
func (c *Client) PayVerify(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Call(ctx, PathPayVerify, fields)
}

// OrderQuery reads a payment's result.
func (c *Client) OrderQuery(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Call(ctx, PathOrderQuery, fields)
}

// Refund applies for a refund of a paid order.
func (c *Client) Refund(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Call(ctx, PathRefund, fields)
}

// RefundQuery reads a refund's state.
func (c *Client) RefundQuery(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Call(ctx, PathRefundQuery, fields)
}
