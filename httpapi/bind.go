package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// bindAPI answers the card-binding routes.
type bindAPI struct {
	b      *llgate.Binding
	logger *slog.Logger
}

func (api *bindAPI) endpoints() map[string]Endpoint {
	return map[string]Endpoint{
		protocol.EPBindApply:       api.apply(mpayFamilies, llgate.CodeSMSSent),
		protocol.EPBindApplyPlain:  api.apply(traderFamilies, llgate.CodeOK),
		protocol.EPBindVerify:      api.verify,
		protocol.EPBindVerifyPlain: api.verify,
		protocol.EPUnbind:          api.unbind,
		protocol.EPBindList:        api.list,
		protocol.EPCardBin:         api.cardBin,
	}
}

// pay_type per endpoint (CONTRACT.md §6).
var (
	mpayFamilies   = map[string]string{"2": llgate.FamilyDebit, "3": llgate.FamilyCredit, "P": llgate.FamilyAuth}
	traderFamilies = map[string]string{"M": llgate.FamilyDebit, "N": llgate.FamilyCredit, "D": llgate.FamilyAuth}
	listFamilies   = map[string]string{
		"2": llgate.FamilyDebit, "M": llgate.FamilyDebit, "3": llgate.FamilyCredit, "N": llgate.FamilyCredit,
		"P": llgate.FamilyAuth, "D": llgate.FamilyAuth, "F": llgate.FamilyEasy,
	}
)

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

// field validates an optional field with check when it is present.
func field(f *protocol.Object, name string, check func(string, string) error) error {
	if v := f.Get(name); v != "" {
		return check(name, v)
	}
	return nil
}

func (api *bindAPI) apply(families map[string]string, okCode string) Endpoint {
	return func(ctx context.Context, r *Request) (*Answer, error) {
		f := r.Fields
		if err := Require(f, "user_id", "pay_type", "id_type", "id_no", "acct_name", "card_no", "bind_mob"); err != nil {
			return nil, err
		}
		family, ok := families[f.Get("pay_type")]
		if !ok {
			return nil, llgate.FieldError("pay_type", "not a pay_type of this endpoint")
		}
		checks := []error{
			protocol.ValidateUserID("user_id", f.Get("user_id")),
			protocol.ValidateCardNo("card_no", f.Get("card_no")),
			protocol.ValidateIDNo(f.Get("id_type"), f.Get("id_no")),
			protocol.ValidateName("acct_name", f.Get("acct_name")),
			protocol.ValidateMobile("bind_mob", f.Get("bind_mob")),
			field(f, "no_order", validateBindSerial),
			field(f, "notify_url", protocol.ValidateURL),
			field(f, "dt_order", func(n, v string) error { _, err := protocol.ParseTime(n, v); return err }),
			field(f, "risk_item", validateRiskObject),
		}
		for _, err := range checks {
			if err != nil {
				return nil, err
			}
		}
		if !f.Has("risk_item") {
			// Official demos never send it on bind apply (COMPAT.md).
			api.logger.Debug("bind apply without risk_item", "oid_partner", r.Merchant.Merchant.OidPartner)
		}
		sc, err := scope(r)
		if err != nil {
			return nil, err
		}
		token, err := api.b.Apply(ctx, &llgate.BindApply{
			Merchant: r.Merchant.Merchant, Scope: sc, UserID: f.Get("user_id"), Family: family,
			Card: llgate.Holder{
				CardNo: f.Get("card_no"), IDType: f.Get("id_type"), IDNo: f.Get("id_no"), AcctName: f.Get("acct_name"),
				Mobile: f.Get("bind_mob"), ValiDate: f.Get("vali_date"), CVV2: f.Get("cvv2"),
			},
			RiskItem: f.Get("risk_item"), NoOrder: f.Get("no_order"), DtOrder: f.Get("dt_order"), NotifyURL: f.Get("notify_url"),
			Addr: r.Addr,
		})
		if err != nil {
			return nil, err
		}
		return NewAnswer(okCode, map[string]string{
			"oid_partner": r.Merchant.Merchant.OidPartner, "user_id": f.Get("user_id"), "token": token,
			"no_order": f.Get("no_order"), "dt_order": f.Get("dt_order"),
		}), nil
	}
}

// validateBindSerial checks a bind application's no_order. The docs give it
// no length and it is only echoed; the official Java demo sends 33
// characters, so the payment limit of 32 would refuse real clients.
func validateBindSerial(name, v string) error {
	if len(v) > 64 {
		return llgate.FieldError(name, "must be at most 64 characters")
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || c == '&' || c == '=' {
			return llgate.FieldError(name, "must be printable ASCII without spaces, '&' or '='")
		}
	}
	return nil
}

// validateRiskObject: risk_item, when present, is a JSON object in a string.
func validateRiskObject(name, v string) error {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(v), &m) != nil {
		return llgate.FieldError(name, "not a JSON object")
	}
	return nil
}

func (api *bindAPI) verify(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	if err := Require(f, "token", "user_id", "verify_code"); err != nil {
		return nil, err
	}
	if protocol.ValidateToken("token", f.Get("token")) != nil {
		return nil, llgate.Errorf(llgate.CodeTokenInvalid, "malformed token")
	}
	if err := protocol.ValidateCode("verify_code", f.Get("verify_code")); err != nil {
		return nil, err
	}
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
	return NewAnswer(llgate.CodeOK, map[string]string{
		"oid_partner": r.Merchant.Merchant.OidPartner, "user_id": f.Get("user_id"),
		"card_no": res.CardLast4, "no_agree": res.NoAgree, "no_order": noOrder,
	}), nil
}

func (api *bindAPI) unbind(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	if err := Require(f, "user_id", "no_agree"); err != nil {
		return nil, err
	}
	sc, err := scope(r)
	if err != nil {
		return nil, err
	}
	if protocol.ValidateNoAgree("no_agree", f.Get("no_agree")) != nil {
		return nil, llgate.Errorf(llgate.CodeNoAgreement, "malformed no_agree")
	}
	if err := api.b.Unbind(ctx, sc, f.Get("user_id"), f.Get("no_agree")); err != nil {
		return nil, err
	}
	return NewAnswer(llgate.CodeOK, map[string]string{
		"oid_partner": r.Merchant.Merchant.OidPartner, "user_id": f.Get("user_id"), "no_agree": f.Get("no_agree"),
	}), nil
}

func (api *bindAPI) list(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	if err := Require(f, "user_id", "offset"); err != nil {
		return nil, err
	}
	page, err := strconv.Atoi(f.Get("offset"))
	if err != nil || page < 0 || page > 1_000_000 || len(f.Get("offset")) > 8 {
		return nil, llgate.FieldError("offset", "not a page number from 0")
	}
	sc, err := scope(r)
	if err != nil {
		return nil, err
	}
	filter := llgate.AgreementFilter{Scope: sc, UserID: f.Get("user_id"), NoAgree: f.Get("no_agree")}
	if pt := f.Get("pay_type"); pt != "" {
		if filter.Family = listFamilies[pt]; filter.Family == "" {
			return nil, llgate.FieldError("pay_type", "unknown pay_type")
		}
	}
	if c := f.Get("card_no"); c != "" {
		if err := protocol.ValidateCardNo("card_no", c); err != nil {
			return nil, err
		}
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
	ans := NewAnswer(llgate.CodeOK, map[string]string{
		"oid_partner": r.Merchant.Merchant.OidPartner, "user_id": f.Get("user_id"), "count": strconv.Itoa(total),
	})
	ans.Unsigned = map[string]any{"agreement_list": items}
	return ans, nil
}

func (api *bindAPI) cardBin(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	if err := Require(f, "card_no"); err != nil {
		return nil, err
	}
	if err := protocol.ValidateCardNo("card_no", f.Get("card_no")); err != nil {
		return nil, err
	}
	info, err := api.b.CardBin(ctx, r.Merchant.Merchant, r.Addr, f.Get("card_no"))
	if err != nil {
		return nil, err
	}
	c := f.Get("card_no")
	return NewAnswer(llgate.CodeOK, map[string]string{
		"oid_partner": r.Merchant.Merchant.OidPartner, "card_no": c[len(c)-4:],
		"bank_code": info.BankCode, "bank_name": info.BankName, "card_type": info.CardType,
	}), nil
}
