package cashier

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/web"
)

// syncReturn is the form the success page posts to url_return.
type syncReturn struct {
	Action     string
	Fields     []field // in the order posted
	AutoSubmit bool
}

type field struct{ Name, Value string }

// successPage shows the payment and, with a url_return, the sync return
// (§4.4, Decisions 1, 2, 5, 14): WEB posts exactly the 11 fields + sign,
// H5 one field res_data; signed with the platform key and the entry's
// sign_type (MD5: the merchant's key). The first view submits it by script;
// every view shows the same form with a 「返回商户」 button.
func (c *Cashier) successPage(ctx context.Context, w http.ResponseWriter, r *http.Request, v *llgate.CheckoutView, p *page) error {
	co, o := v.Checkout, v.Order
	p.Page, p.SettleDate = "success", o.SettleDate
	if co.URLReturn != "" {
		ret, err := c.syncReturn(ctx, v)
		if err != nil {
			return err
		}
		first, err := c.cfg.Checkouts.Returned(ctx, co.Token)
		if err != nil {
			return err
		}
		ret.AutoSubmit = first && (co.Flavour == llgate.FlavourWEB || co.SyncNotify)
		p.Return = ret
		if u, err := url.Parse(co.URLReturn); err == nil {
			web.SetFormAction(w, r, u.Scheme+"://"+u.Host)
		}
	}
	c.render(w, r, "success", p)
	return nil
}

// syncReturn builds and signs the return of a paid checkout.
func (c *Cashier) syncReturn(ctx context.Context, v *llgate.CheckoutView) (*syncReturn, error) {
	co := v.Checkout
	names := protocol.ReturnFieldsWEB
	if co.Flavour == llgate.FlavourH5 {
		names = protocol.ReturnFieldsH5
	}
	signType := co.SignType
	if signType == "" {
		signType = llgate.SignRSA
	}
	a := protocol.SyncReturn(names, v.Order, v.Secret.InfoOrder, co.PayType, signType)
	if signType == llgate.SignMD5 {
		auth, err := c.cfg.Merchants.Auth(ctx, co.OidPartner)
		if err != nil {
			return nil, err
		}
		a.SignMD5(auth.MD5Key)
	} else if err := a.Sign(c.cfg.PlatformKey, signType); err != nil {
		return nil, err
	}
	ret := &syncReturn{Action: co.URLReturn}
	if co.Flavour == llgate.FlavourH5 {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(a.Fields); err != nil { // a map: keys sorted
			return nil, err
		}
		ret.Fields = []field{{"res_data", string(bytes.TrimRight(b.Bytes(), "\n"))}}
		return ret, nil
	}
	for _, k := range append(slices.Clone(names), "sign") {
		if val := a.Fields[k]; val != "" {
			ret.Fields = append(ret.Fields, field{k, val})
		}
	}
	return ret, nil
}
