package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// payAPI answers quick pay and the payment query.
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

// riskKeys must be in a pay apply's risk_item (CONTRACT.md §6).
var riskKeys = []string{"frms_ware_category", "user_info_mercht_userno", "user_info_dt_register", "goods_name"}

func (api *payAPI) apply(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	if err := Require(f, "user_id", "busi_partner", "no_order", "dt_order", "name_goods", "money_order", "notify_url", "risk_item", "pay_type"); err != nil {
		return nil, err
	}
	if !f.Has("no_agree") {
		if err := Require(f, "card_no", "acct_name", "id_type", "id_no", "bind_mob"); err != nil {
			return nil, err
		}
	}
	family, ok := mpayFamilies[f.Get("pay_type")]
	if !ok {
		return nil, llgate.FieldError("pay_type", "not 2, 3 or P")
	}
	if bp := f.Get("busi_partner"); bp != "101001" && bp != "109001" {
		return nil, llgate.FieldError("busi_partner", "not 101001 or 109001")
	}
	amount, err := protocol.ParseAmount("money_order", f.Get("money_order"))
	if err != nil {
		return nil, err
	}
	valid, err := validOrder(f)
	if err != nil {
		return nil, err
	}
	checks := []error{
		protocol.ValidateUserID("user_id", f.Get("user_id")),
		protocol.ValidateOrderNo("no_order", f.Get("no_order")),
		field(f, "dt_order", func(n, v string) error { _, err := protocol.ParseTime(n, v); return err }),
		text(f, "name_goods", 40),
		text(f, "info_order", 255),
		protocol.ValidateURL("notify_url", f.Get("notify_url")),
		validateRisk(f.Get("risk_item")),
		field(f, "no_agree", protocol.ValidateNoAgree),
	}
	var card *llgate.Holder
	if !f.Has("no_agree") {
		checks = append(checks,
			protocol.ValidateCardNo("card_no", f.Get("card_no")),
			protocol.ValidateIDNo(f.Get("id_type"), f.Get("id_no")),
			protocol.ValidateName("acct_name", f.Get("acct_name")),
			protocol.ValidateMobile("bind_mob", f.Get("bind_mob")))
		card = &llgate.Holder{
			CardNo: f.Get("card_no"), IDType: f.Get("id_type"), IDNo: f.Get("id_no"), AcctName: f.Get("acct_name"),
			Mobile: f.Get("bind_mob"), ValiDate: f.Get("vali_date"), CVV2: f.Get("cvv2"),
		}
	}
	for _, err := range checks {
		if err != nil {
			return nil, err
		}
	}
	sc, err := scope(r)
	if err != nil {
		return nil, err
	}
	o, err := api.p.Apply(ctx, &llgate.PayApply{
		Merchant: r.Merchant.Merchant, Scope: sc, UserID: f.Get("user_id"), NoOrder: f.Get("no_order"),
		DtOrder: f.Get("dt_order"), BusiPartner: f.Get("busi_partner"), NameGoods: f.Get("name_goods"),
		InfoOrder: f.Get("info_order"), Amount: amount, MoneyOrder: f.Get("money_order"),
		NotifyURL: f.Get("notify_url"), ValidOrder: valid, RiskItem: f.Get("risk_item"),
		PayType: f.Get("pay_type"), Family: family, NoAgree: f.Get("no_agree"), Card: card,
		SignType: r.SignType, RequestHash: requestHash(f), Addr: r.Addr,
	})
	if err != nil {
		return nil, err
	}
	return NewAnswer(llgate.CodeSMSSent, map[string]string{
		"oid_partner": o.OidPartner, "user_id": o.UserID, "no_order": o.NoOrder, "dt_order": o.DtOrder,
		"oid_paybill": o.OidPaybill, "money_order": o.MoneyOrder, "token": o.Token, "info_order": f.Get("info_order"),
	}), nil
}

// requestHash identifies a pay apply for replays: every decoded field but
// sign and cvv2 (never kept, not even hashed).
func requestHash(f *protocol.Object) string {
	sum := sha256.Sum256([]byte(protocol.SignSource(f, "cvv2")))
	return hex.EncodeToString(sum[:])
}

// validOrder reads valid_order (minutes; a JSON number from Java clients).
func validOrder(f *protocol.Object) (time.Duration, error) {
	v := f.Get("valid_order")
	if v == "" {
		return llgate.DefaultValidOrder, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 525600 || len(v) > 6 {
		return 0, llgate.FieldError("valid_order", "not a number of minutes from 1 to 525600")
	}
	return time.Duration(n) * time.Minute, nil
}

// text checks a free-text field's length in characters.
func text(f *protocol.Object, name string, max int) error {
	v := f.Get(name)
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		return llgate.FieldError(name, "too long")
	}
	return nil
}

// validateRisk: a JSON object in a string with the keys risk control needs.
func validateRisk(v string) error {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(v), &m) != nil {
		return llgate.FieldError("risk_item", "not a JSON object")
	}
	for _, k := range riskKeys {
		if raw, ok := m[k]; !ok || string(raw) == `""` || string(raw) == "null" {
			return llgate.FieldError("risk_item", "missing "+k)
		}
	}
	return nil
}

func (api *payAPI) verify(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	if err := Require(f, "token", "verify_code"); err != nil {
		return nil, err
	}
	if protocol.ValidateToken("token", f.Get("token")) != nil {
		return nil, llgate.Errorf(llgate.CodeTokenInvalid, "malformed token")
	}
	if err := protocol.ValidateCode("verify_code", f.Get("verify_code")); err != nil {
		return nil, err
	}
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
		return NewAnswer(llgate.CodeProcessing, orderFields(o, "")), nil
	}
	if err != nil {
		return nil, err
	}
	fields := orderFields(o, "")
	fields["settle_date"], fields["no_agree"] = o.SettleDate, o.NoAgree
	return NewAnswer(llgate.CodeOK, fields), nil
}

func orderFields(o *llgate.Order, infoOrder string) map[string]string {
	return map[string]string{
		"oid_partner": o.OidPartner, "no_order": o.NoOrder, "dt_order": o.DtOrder,
		"oid_paybill": o.OidPaybill, "money_order": o.MoneyOrder, "info_order": infoOrder,
	}
}

func (api *payAPI) query(ctx context.Context, r *Request) (*Answer, error) {
	f := r.Fields
	if !f.Has("oid_paybill") {
		if err := Require(f, "no_order"); err != nil {
			return nil, err
		}
	}
	o, s, err := api.p.Query(ctx, r.Merchant.Merchant.OidPartner, f.Get("no_order"), f.Get("dt_order"), f.Get("oid_paybill"))
	if err != nil {
		return nil, err
	}
	fields := orderFields(o, s.InfoOrder)
	fields["result_pay"], fields["pay_type"], fields["bank_code"] = o.Status, o.PayType, o.BankCode
	if o.Status == llgate.OrderSuccess || o.Status == llgate.OrderRefund {
		fields["settle_date"] = o.SettleDate
	}
	ans := NewAnswer(llgate.CodeOK, fields)
	ans.Unsigned = map[string]any{"card_no": o.CardMask}
	if f.Get("query_version") == "1.1" {
		ans.Unsigned["bank_name"] = api.p.Issuer.BankName(o.BankCode)
		ans.Unsigned["memo"] = o.Memo
	}
	return ans, nil
}
