package httpapi

import (
	"context"
	"log/slog"
	"strconv"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// bindAPI answers the card-binding endpoints. The pipeline has checked
// every field against the endpoint table (protocol.Validate) before they
// run: what is left here is turning fields into a use case and its result
// into an answer.
type bindAPI struct {
	b      *llgate.Binding
	logger *slog.Logger
}

func (api *bindAPI) endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		protocol.EPBindApply:       api.apply(llgate.CodeSMSSent),
		protocol.EPBindApplyPlain:  api.apply(llgate.CodeOK),
		protocol.EPBindVerify:      api.verify,
		protocol.EPBindVerifyPlain: api.verify,
		protocol.EPUnbind:          api.unbind,
		protocol.EPBindList:        api.list,
		protocol.EPCardBin:         api.cardBin,
	}
}

// scope resolves the request's platform: users are shared only among the
// merchants configured into that platform.
func scope(r *Request) (string, error) {
	m := r.Merchant.Merchant
	p := r.Fields.Get("platform")
	if p != "" && p != m.Platform {
		return "", llgate.FieldError("platform", "not this merchant's platform")
	}
	return llgate.Scope(m, p), nil
}

// cardOf is the card and holder a request carries.
func cardOf(f *protocol.Object) llgate.Card {
	return llgate.Card{
		CardNo: f.Get("card_no"), IDType: f.Get("id_type"), IDNo: f.Get("id_no"), AcctName: f.Get("acct_name"),
		Mobile: f.Get("bind_mob"), ValiDate: f.Get("vali_date"), CVV2: f.Get("cvv2"),
	}
}

func (api *bindAPI) apply(okCode string) Endpoint {
	return func(ctx context.Context, r *Request) (*Answer, error) {
		f := r.Fields
		if !f.Has("risk_item") {
			// Official demos never send it on bind apply (COMPAT.md).
			api.logger.Debug("bind apply without risk_item", "oid_partner", r.Merchant.Merchant.OidPartner)
		}
		sc, err := scope(r)
		if err != nil {
			return nil, err
		}
		token, err := api.b.Apply(ctx, &llgate.BindApply{
			Merchant: r.Merchant.Merchant, Scope: sc, UserID: f.Get("user_id"), Family: llgate.FamilyOf(f.Get("pay_type")),
			Card: cardOf(f), RiskItem: f.Get("risk_item"), NoOrder: f.Get("no_order"), DtOrder: f.Get("dt_order"),
			NotifyURL: f.Get("notify_url"), Addr: r.Addr,
		})
		if err != nil {
			return nil, err
		}
		return r.answer(okCode, map[string]string{
			"oid_partner": r.Merchant.Merchant.OidPartner, "user_id": f.Get("user_id"), "token": token,
			"no_order": f.Get("no_order"), "dt_order": f.Get("dt_order"),
		}, nil), nil
	}
}

func (api *bindAPI) verify(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	sc, err := scope(r)
	if err != nil {
		return nil, err
	}
	res, err := api.b.Verify(ctx, &llgate.BindVerify{
		Merchant: r.Merchant.Merchant, Scope: sc, UserID: f.Get("user_id"), Token: f.Get("token"), Code: f.Get("verify_code"),
	})
	if err != nil {
		return nil, err
	}
	noOrder := f.Get("no_order")
	if noOrder == "" {
		noOrder = res.NoOrder
	}
	return r.answer(llgate.CodeOK, map[string]string{
		"oid_partner": r.Merchant.Merchant.OidPartner, "user_id": f.Get("user_id"),
		"card_no": res.CardLast4, "no_agree": res.NoAgree, "no_order": noOrder,
	}, nil), nil
}

func (api *bindAPI) unbind(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	sc, err := scope(r)
	if err != nil {
		return nil, err
	}
	if err := api.b.Unbind(ctx, sc, f.Get("user_id"), f.Get("no_agree")); err != nil {
		return nil, err
	}
	return r.answer(llgate.CodeOK, map[string]string{
		"oid_partner": r.Merchant.Merchant.OidPartner, "user_id": f.Get("user_id"), "no_agree": f.Get("no_agree"),
	}, nil), nil
}

func (api *bindAPI) list(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	page, _ := strconv.Atoi(f.Get("offset")) // checked by the table (CheckPage)
	sc, err := scope(r)
	if err != nil {
		return nil, err
	}
	filter := llgate.AgreementFilter{Scope: sc, UserID: f.Get("user_id"), NoAgree: f.Get("no_agree")}
	if pt := f.Get("pay_type"); pt != "" {
		filter.Family = llgate.FamilyOf(pt)
		if filter.Family == llgate.FamilyEasy {
			// No bind makes an F agreement: F lists the credit cards a
			// pre-authorisation can use, those its payments bound among
			// them (CONTRACT-easypay-payouts §4.7).
			filter.Family = llgate.FamilyCredit
		}
	}
	if c := f.Get("card_no"); c != "" {
		filter.CardFP = api.b.CardFingerprint(c)
	}
	list, total, err := api.b.List(ctx, filter, page)
	if err != nil {
		return nil, err
	}
	items := make([]map[string]string, 0, len(list))
	for _, a := range list {
		items = append(items, map[string]string{
			"no_agree": a.NoAgree, "card_no": a.CardLast4, "bank_code": a.BankCode,
			"bank_name": api.b.Issuer.BankName(a.BankCode), "card_type": a.CardType, "bind_mobile": a.MobileMask,
		})
	}
	return r.answer(llgate.CodeOK, map[string]string{
		"oid_partner": r.Merchant.Merchant.OidPartner, "user_id": f.Get("user_id"), "count": strconv.Itoa(total),
	}, map[string]any{"agreement_list": items}), nil
}

func (api *bindAPI) cardBin(ctx context.Context, r *Request) (*Answer, error) {
	c := r.Fields.Get("card_no")
	info, err := api.b.CardBin(ctx, r.Merchant.Merchant, r.Addr, c)
	if err != nil {
		return nil, err
	}
	return r.answer(llgate.CodeOK, map[string]string{
		"oid_partner": r.Merchant.Merchant.OidPartner, "card_no": c[len(c)-4:],
		"bank_code": info.BankCode, "bank_name": info.BankName, "card_type": info.CardType,
	}, nil), nil
}
