package client

import (
	"context"
	"fmt"

	"github.com/llgate/llgate/protocol"
)

// Endpoint paths, from the endpoint table (protocol.Endpoints), as the
// LianLian docs and clients spell them.
var (
	PathBindApply       = pathOf(protocol.EPBindApply)
	PathBindVerify      = pathOf(protocol.EPBindVerify)
	PathBindApplyPlain  = pathOf(protocol.EPBindApplyPlain)
	PathBindVerifyPlain = pathOf(protocol.EPBindVerifyPlain)
	PathUnbind          = pathOf(protocol.EPUnbind)
	PathBindList        = pathOf(protocol.EPBindList)
	PathCardBin         = pathOf(protocol.EPCardBin)
	PathPayApply        = pathOf(protocol.EPPayApply)
	PathPayVerify       = pathOf(protocol.EPPayVerify)
	PathOrderQuery      = pathOf(protocol.EPOrderQuery)
	PathRefund          = pathOf(protocol.EPRefund)
	PathRefundQuery     = pathOf(protocol.EPRefundQuery)
	PathBalanceQuery    = pathOf(protocol.EPBalanceQuery)
)

func pathOf(name string) string {
	e, ok := protocol.EndpointByName(name)
	if !ok {
		panic("client: no endpoint " + name)
	}
	return e.Path
}

// Do sends a request to the endpoint named name (protocol.Endpoints; the
// names `llgate call` takes), sealed in an envelope where the endpoint takes
// one. oid_partner and sign_type are filled in when absent.
func (c *Client) Do(ctx context.Context, name string, fields map[string]string) (*Response, error) {
	e, ok := protocol.EndpointByName(name)
	if !ok {
		return nil, fmt.Errorf("llgate: no endpoint %q", name)
	}
	if e.Transport == protocol.Envelope {
		return c.CallEncrypted(ctx, e.Path, fields)
	}
	return c.Call(ctx, e.Path, fields)
}

// The helpers below are Do for one endpoint each; the fields are the API's
// own (see the LianLian docs, or `llgate call NAME --help`).

// BindApply starts a card bind on the MPAY API (encrypted); success is 8888
// with a token, and an SMS code goes to bind_mob.
func (c *Client) BindApply(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPBindApply, fields)
}

// BindApplyPlain starts a card bind on the trader API (plain signed JSON);
// success is 0000 with a token.
func (c *Client) BindApplyPlain(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPBindApplyPlain, fields)
}

// BindVerify completes an MPAY bind with token and verify_code; success
// carries no_agree.
func (c *Client) BindVerify(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPBindVerify, fields)
}

// BindVerifyPlain completes a trader-API bind with token and verify_code.
func (c *Client) BindVerifyPlain(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPBindVerifyPlain, fields)
}

// Unbind ends an agreement (no_agree).
func (c *Client) Unbind(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPUnbind, fields)
}

// BindList lists a user's agreements; read them with Response.AgreementList.
func (c *Client) BindList(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPBindList, fields)
}

// CardBin looks up the bank and card type of card_no.
func (c *Client) CardBin(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPCardBin, fields)
}

// PayApply starts a payment with card elements or no_agree (encrypted);
// success is 8888 with a token, and an SMS code goes to the cardholder.
func (c *Client) PayApply(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPPayApply, fields)
}

// PayVerify completes a payment with token and verify_code.
func (c *Client) PayVerify(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPPayVerify, fields)
}

// OrderQuery reads a payment's result.
func (c *Client) OrderQuery(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPOrderQuery, fields)
}

// Refund applies for a refund of a paid order.
func (c *Client) Refund(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPRefund, fields)
}

// RefundQuery reads a refund's state.
func (c *Client) RefundQuery(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPRefundQuery, fields)
}

// BalanceQuery reads the merchant's amt_balance and amt_unsettle.
func (c *Client) BalanceQuery(ctx context.Context, fields map[string]string) (*Response, error) {
	return c.Do(ctx, protocol.EPBalanceQuery, fields)
}
