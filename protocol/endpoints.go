package protocol

import (
	"slices"
	"strings"
)

// The wire as data: every merchant API endpoint llgate serves, with its
// paths, transport, request fields and answer fields. The server routes and
// validates by it, the SDK and `llgate call` build requests by it, and the
// docs list it; a path or a field list is written here and nowhere else.

// Transport is how an endpoint's request travels.
type Transport int

const (
	// Plain is signed JSON.
	Plain Transport = iota
	// Envelope is signed JSON sealed in a pay_load envelope
	// ({"oid_partner","pay_load"}); plain signed JSON is accepted too
	// (COMPAT.md).
	Envelope
)

func (t Transport) String() string {
	if t == Envelope {
		return "envelope"
	}
	return "plain"
}

// Need says when a request field must be present.
type Need int

const (
	Optional Need = iota
	Required
	// Conditional fields are required by an endpoint rule (Endpoint.Rule)
	// that depends on other fields, such as the card elements of a payment
	// without no_agree.
	Conditional
)

// Field is one request field.
type Field struct {
	Name string
	Need Need
	// Check validates a present, non-empty value; nil accepts any text.
	// It returns a 1004 naming the field, or the code the endpoint answers
	// for that field (a malformed token is 1000 at a verify).
	Check func(name, value string) error
	// Example is a value `llgate call --help` shows.
	Example string
	Doc     string
}

// Endpoint is one merchant API endpoint.
type Endpoint struct {
	// Name is the endpoint's name in `llgate call` and the docs.
	Name string
	// Path is where it is served, as the LianLian docs spell it; Prefixes
	// are the old single-host prefixes it is also served under.
	Path     string
	Prefixes []string
	// SharedWith names the endpoint whose path also serves this one, and
	// Selects says which requests there are this one's (pay verify posted
	// to the pay apply path: a body with token and verify_code).
	SharedWith string
	Selects    func(*Object) bool
	Transport  Transport
	// TolerateEnvelope: a Plain endpoint that also opens a pay_load
	// envelope when one is sent (Easy Payment direct, §4.5).
	TolerateEnvelope bool
	// EnvelopeOnly: an Envelope endpoint that refuses plain signed JSON
	// with 4007 (payouts, Decision 7).
	EnvelopeOnly bool
	// Product, when set, is checked after the signature and before the
	// fields: a merchant without it answers ProductCode (payouts: 4005
	// before any 1004, §4.8).
	Product     string
	ProductCode string
	Doc         string // the LianLian doc page
	Summary     string
	Request     []Field
	// Rule checks what depends on several fields, after every field passed.
	Rule func(*Object) error
	// Answer lists the signed answer fields of a success (besides
	// ret_code, ret_msg, sign_type and sign); Unsigned the fields outside
	// the signature (CONTRACT.md §6).
	Answer   []string
	Unsigned []string
	// Success is the ret_code of a successful answer (0000, or 8888 where
	// an SMS code was sent).
	Success string
}

// Paths returns every path the endpoint is served at, prefixed ones included.
func (e *Endpoint) Paths() []string {
	out := []string{e.Path}
	for _, p := range e.Prefixes {
		out = append(out, p+e.Path)
	}
	return out
}

// Field returns the named request field.
func (e *Endpoint) Field(name string) (Field, bool) {
	for _, f := range e.Request {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// IsUnsigned says whether an answer field stays outside the signature.
func (e *Endpoint) IsUnsigned(name string) bool {
	for _, u := range e.Unsigned {
		if u == name {
			return true
		}
	}
	return false
}

// Endpoint names.
const (
	EPBindApply       = "bind-apply"
	EPBindVerify      = "bind-verify"
	EPBindApplyPlain  = "bind-apply-plain"
	EPBindVerifyPlain = "bind-verify-plain"
	EPUnbind          = "unbind"
	EPBindList        = "bind-list"
	EPCardBin         = "card-bin"
	EPPayApply        = "pay-apply"
	EPPayVerify       = "pay-verify"
	EPOrderQuery      = "order-query"
	EPRefund          = "refund"
	EPExchangeRefund  = "exchange-refund"
	EPRefundQuery     = "refund-query"
	EPEasypayApply    = "easypay-apply"
	EPEasypayVerify   = "easypay-verify"
	EPPreauthCapture  = "preauth-capture"
	EPPreauthCancel   = "preauth-cancel"
	EPPreauthQuery    = "preauth-query"
	EPBalanceQuery    = "balance-query"
)

// Host prefixes of the three LianLian hosts (COMPAT.md).
var (
	mpayHost   = []string{"/mpayapi"}
	traderHost = []string{"/traderapi"}
	queryHost  = []string{"/queryapi", "/traderapi"}
)

// The fields every request carries; the pipeline checks them.
var common = []Field{
	{Name: "oid_partner", Need: Required, Example: "201408071000001539", Doc: "the merchant's 18-digit number"},
	{Name: "sign_type", Need: Required, Example: "RSA", Doc: "RSA (MD5withRSA), SHA256withRSA, or MD5 where configured"},
	{Name: "sign", Need: Required, Doc: "the signature over the sign source"},
	{Name: "api_version", Doc: "ignored; the official demos never send it"},
}

func fields(fs ...Field) []Field { return append(append([]Field(nil), common...), fs...) }

// riskBind is risk_item on a bind: optional, a JSON object when present.
var riskBind = Field{Name: "risk_item", Check: CheckJSONObject, Example: `{"frms_ware_category":"4007"}`,
	Doc: "risk control items, a JSON object in a string"}

var holderFields = []Field{
	{Name: "id_type", Need: Required, Example: "0", Doc: "0 ID card, 2 passport, 3, 4, 6, 9, X"},
	{Name: "id_no", Need: Required, Example: "110105199003071239", Doc: "identity document number (checked with id_type)"},
	{Name: "acct_name", Need: Required, Check: ValidateName, Example: "张三", Doc: "cardholder name"},
	{Name: "card_no", Need: Required, Check: ValidateCardNo, Example: "6222020000000100008", Doc: "card number"},
	{Name: "bind_mob", Need: Required, Check: ValidateMobile, Example: "13800138000", Doc: "the phone the card is registered with"},
}

var creditFields = []Field{
	{Name: "vali_date", Example: "3012", Doc: "credit card expiry YYMM (credit cards)"},
	{Name: "cvv2", Example: "123", Doc: "credit card CVV2 (credit cards); checked, never stored"},
}

func bindApply(name, path string, prefixes []string, t Transport, payTypes, summary, doc, success string) *Endpoint {
	req := fields(
		Field{Name: "user_id", Need: Required, Check: ValidateUserID, Example: "u1", Doc: "the merchant's user"},
		Field{Name: "platform", Doc: "the platform whose users the merchant shares (its configured one)"},
		Field{Name: "pay_type", Need: Required, Check: CheckOneOf(payTypes), Example: payTypes[:1],
			Doc: "what the card is bound for: " + strings.Join(strings.Split(payTypes, ""), ", ") + " (debit, credit, either)"},
	)
	req = append(req, holderFields...)
	req = append(req, creditFields...)
	req = append(req,
		riskBind,
		Field{Name: "no_order", Check: ValidateBindSerial, Doc: "the merchant's reference, echoed"},
		Field{Name: "dt_order", Check: CheckTime, Doc: "yyyyMMddHHmmss, echoed"},
		Field{Name: "notify_url", Check: ValidateURL, Doc: "echoed; no bind notification is sent"},
	)
	return &Endpoint{
		Name: name, Path: path, Prefixes: prefixes, Transport: t, Doc: doc, Summary: summary,
		Request: req, Rule: checkHolder,
		Answer:  []string{"oid_partner", "user_id", "token", "no_order", "dt_order"},
		Success: success,
	}
}

func bindVerify(name, path string, prefixes []string, doc string) *Endpoint {
	return &Endpoint{
		Name: name, Path: path, Prefixes: prefixes, Doc: doc,
		Summary: "completes a bind with the SMS code: 0000 and no_agree",
		Request: fields(
			Field{Name: "user_id", Need: Required, Example: "u1", Doc: "the user of the apply"},
			Field{Name: "platform", Doc: "as in the apply"},
			Field{Name: "token", Need: Required, Check: CheckToken, Example: "<token of the apply>", Doc: "the apply's token"},
			Field{Name: "verify_code", Need: Required, Check: ValidateCode, Example: "123456", Doc: "the SMS code"},
			Field{Name: "no_order", Doc: "echoed (the apply's, when not sent)"},
		),
		Answer:  []string{"oid_partner", "user_id", "card_no", "no_agree", "no_order"},
		Success: "0000",
	}
}

// Endpoints is every merchant API endpoint, in the docs' order.
var Endpoints = []*Endpoint{
	bindApply(EPBindApply, "/v1/bankcardbind", mpayHost, Envelope, "23P",
		"MPAY card bind apply: 8888 and a token; the SMS code goes to bind_mob", "MPAY-card-bind-apply.md", "8888"),
	bindVerify(EPBindVerify, "/v1/bankcardbindverfy", mpayHost, "MPAY-card-bind-verify.md"),
	bindApply(EPBindApplyPlain, "/bankcardbind.htm", traderHost, Plain, "MND",
		"trader API card bind apply: 0000 and a token; the SMS code goes to bind_mob", "card-bind-apply-api.md", "0000"),
	bindVerify(EPBindVerifyPlain, "/bankcardbindverfy.htm", traderHost, "card-bind-verify-api.md"),
	{
		Name: EPUnbind, Path: "/bankcardunbind.htm", Prefixes: traderHost, Doc: "card-bind-unbind-api.md",
		Summary: "ends an agreement",
		Request: fields(
			Field{Name: "user_id", Need: Required, Example: "u1", Doc: "the agreement's user"},
			Field{Name: "platform", Doc: "the platform whose users the merchant shares"},
			Field{Name: "pay_type", Doc: "ignored"},
			Field{Name: "no_agree", Need: Required, Check: CheckNoAgree, Example: "<no_agree>", Doc: "the agreement to end"},
		),
		Answer:  []string{"oid_partner", "user_id", "no_agree"},
		Success: "0000",
	},
	{
		Name: EPBindList, Path: "/bankcardbindlist.htm", Prefixes: queryHost, Doc: "card-bind-query-api.md",
		Summary: "lists a user's agreements, newest first, 10 a page",
		Request: fields(
			Field{Name: "user_id", Need: Required, Check: ValidateUserID, Example: "u1", Doc: "whose agreements"},
			Field{Name: "platform", Doc: "the platform whose users the merchant shares"},
			Field{Name: "pay_type", Check: CheckOneOf("2M3NPDF"), Doc: "filter: 2≡M debit, 3≡N credit, P≡D, F"},
			Field{Name: "no_agree", Doc: "filter: one agreement"},
			Field{Name: "card_no", Check: ValidateCardNo, Doc: "filter: one card"},
			Field{Name: "offset", Need: Required, Check: CheckPage, Example: "0", Doc: "page number from 0"},
		),
		Answer:   []string{"oid_partner", "user_id", "count"},
		Unsigned: []string{"agreement_list"},
		Success:  "0000",
	},
	{
		Name: EPCardBin, Path: "/bankcardbin.htm", Prefixes: queryHost, Doc: "card-bin-query-api.md",
		Summary: "the bank and card type of a card number",
		Request: fields(Field{Name: "card_no", Need: Required, Check: ValidateCardNo, Example: "6222020000000100008", Doc: "the card number"}),
		Answer:  []string{"oid_partner", "card_no", "bank_code", "bank_name", "card_type"},
		Success: "0000",
	},
	payApply,
	{
		Name: EPPayVerify, Path: "/v1/bankcardpay", Prefixes: mpayHost, Doc: "MPAY-verify-direct-api.md",
		SharedWith: EPPayApply, Selects: func(o *Object) bool { return o.Has("token") && o.Has("verify_code") },
		Summary: "completes a payment with the SMS code (also posted to /v1/bankcardprepay)",
		Request: fields(
			Field{Name: "token", Need: Required, Check: CheckToken, Example: "<token of the apply>", Doc: "the apply's token"},
			Field{Name: "verify_code", Need: Required, Check: ValidateCode, Example: "123456", Doc: "the SMS code"},
			Field{Name: "no_order", Doc: "when sent, must be the token's order"},
			Field{Name: "money_order", Check: CheckAmount, Doc: "when sent, must be the token's amount"},
		),
		Answer:  []string{"oid_partner", "no_order", "dt_order", "oid_paybill", "money_order", "info_order", "settle_date", "no_agree"},
		Success: "0000",
	},
	{
		Name: EPOrderQuery, Path: "/orderquery.htm", Prefixes: queryHost, Doc: "MPAY_payment_result_query.md",
		Summary: "a payment's result, by no_order (+ dt_order) or oid_paybill",
		Request: fields(
			Field{Name: "no_order", Need: Conditional, Example: "order-1", Doc: "the merchant's order number"},
			Field{Name: "dt_order", Doc: "when sent, must be the order's"},
			Field{Name: "oid_paybill", Need: Conditional, Doc: "LianLian's payment number"},
			Field{Name: "query_version", Doc: "1.1 adds bank_name and memo"},
		),
		Rule:     oneOf("oid_paybill", "no_order"),
		Answer:   []string{"oid_partner", "no_order", "dt_order", "oid_paybill", "money_order", "info_order", "result_pay", "pay_type", "bank_code", "settle_date"},
		Unsigned: []string{"bank_name", "memo", "card_no"},
		Success:  "0000",
	},
	easypayApply,
	easypayVerify,
	preauthOp(EPPreauthCapture, "/preauthComplete.htm", "easypay-Pre-authorized-complete-API.md",
		"captures an authorisation (pay_type F), once: 0.01 up to the authorised amount; the rest is released",
		[]string{"oid_partner", "no_order", "dt_order", "oid_paybill", "money_order", "settle_date", "info_order", "user_id"},
		Field{Name: "money_order", Need: Required, Check: CheckAmount, Example: "10.00", Doc: "the amount captured, at most the authorised one"},
		Field{Name: "info_order", Check: CheckText(255), Doc: "echoed in the answer"},
		Field{Name: "risk_item", Check: CheckJSONObject, Doc: "accepted"}),
	preauthOp(EPPreauthCancel, "/preauthCancel.htm", "easypay-preauth-cancel.md",
		"cancels an authorisation (pay_type F), once; money_order must be the authorised amount",
		[]string{"oid_partner", "no_order", "dt_order", "oid_paybill", "user_id"},
		Field{Name: "money_order", Need: Required, Check: CheckAmount, Example: "10.00", Doc: "the authorised amount"}),
	{
		Name: EPPreauthQuery, Path: "/preauthquery.htm", Prefixes: queryHost, Doc: "easypay-Pre-authorized-status-query-API.md",
		Summary: "the state of an authorisation, answered as ret_code: 2003, 2006, PR07 to PR16",
		Request: fields(
			Field{Name: "platform", Doc: "the platform whose users the merchant shares"},
			Field{Name: "pay_type", Check: CheckOneOf("F"), Example: "F", Doc: "F"},
			Field{Name: "no_order", Need: Conditional, Check: ValidateOrderNo, Example: "order-1", Doc: "the authorisation, by the merchant's number"},
			Field{Name: "dt_order", Check: CheckTime, Doc: "when sent, must be the order's"},
			Field{Name: "oid_paybill", Need: Conditional, Doc: "the authorisation, by LianLian's number"},
			Field{Name: "user_id", Doc: "when sent, must be the order's"},
		),
		Rule:    oneOf("oid_paybill", "no_order"),
		Answer:  []string{"oid_partner", "no_order", "dt_order", "oid_paybill", "money_order", "user_id"},
		Success: "PR07",
	},
	refundApply(EPRefund, "/refund.htm", "refund-apply-api.md"),
	refundApply(EPExchangeRefund, "/exchangerefund.htm", "refund-apply-api.md"),
	{
		Name: EPRefundQuery, Path: "/refundquery.htm", Prefixes: queryHost, Doc: "refund-result-query-api.md",
		Summary: "a refund's state, by no_refund (+ dt_refund) or oid_refundno",
		Request: fields(
			Field{Name: "no_refund", Need: Conditional, Example: "refund-1", Doc: "the merchant's refund number"},
			Field{Name: "dt_refund", Check: CheckTime, Doc: "when sent, must be the refund's"},
			Field{Name: "oid_refundno", Need: Conditional, Doc: "LianLian's refund number; the official RefundQueryDemo sends only this"},
		),
		Rule:    oneOf("no_refund", "oid_refundno"),
		Answer:  refundAnswer,
		Success: "0000",
	},
	{
		Name: EPBalanceQuery, Path: "/traderAcctQuery.htm", Prefixes: traderHost, Doc: "balance-query-api.md",
		Summary: "the merchant's money: amt_balance (settled, for payouts) and amt_unsettle (paid, not yet settled; for refunds)",
		Request: fields(),
		Answer:  []string{"amt_balance", "amt_unsettle"},
		Success: "0000",
	},
}

// busiPartner is the business type every product takes (Decision 8:
// 108001 wherever 101001 and 109001 are).
var busiPartner = Field{Name: "busi_partner", Need: Required, Check: CheckOneOfWords("101001", "109001", "108001"), Example: "101001",
	Doc: "101001 virtual goods, 109001 physical goods, 108001 account top-up"}

// payOrderFields describe the order on every pay apply (MPAY, Easy Payment).
var payOrderFields = []Field{
	{Name: "user_id", Need: Required, Check: ValidateUserID, Example: "u1", Doc: "the paying user"},
	{Name: "platform", Doc: "the platform whose users the merchant shares"},
	busiPartner,
	{Name: "no_order", Need: Required, Check: ValidateOrderNo, Example: "order-1", Doc: "the merchant's order number, unique across every product"},
	{Name: "dt_order", Need: Required, Check: CheckTime, Example: "20261206120000", Doc: "yyyyMMddHHmmss, China time"},
	{Name: "name_goods", Need: Required, Check: CheckText(40), Example: "Pen", Doc: "up to 40 characters"},
	{Name: "info_order", Check: CheckText(255), Doc: "up to 255 characters, echoed and notified"},
	{Name: "money_order", Need: Required, Check: CheckAmount, Example: "10.00", Doc: "yuan, up to 2 decimals"},
	{Name: "notify_url", Need: Required, Check: ValidateURL, Example: "http://127.0.0.1:9000/notify", Doc: "where the payment is notified"},
	{Name: "valid_order", Check: CheckValidOrder, Doc: "minutes, default 10080"},
	{Name: "risk_item", Need: Required, Check: CheckPayRisk,
		Example: `{"frms_ware_category":"4007","user_info_mercht_userno":"u1","user_info_dt_register":"20250101120000","goods_name":"Pen"}`},
}

var payApply = &Endpoint{
	Name: EPPayApply, Path: "/v1/bankcardprepay", Prefixes: mpayHost, Transport: Envelope, Doc: "MPAY-apply-direct-API.md",
	Summary: "MPAY payment apply with no_agree or card elements: 8888 and a token; the SMS code goes to the cardholder",
	Request: append(append(fields(append(slices.Clone(payOrderFields),
		Field{Name: "pay_type", Need: Required, Check: CheckOneOf("23P"), Example: "2", Doc: "2 debit, 3 credit, P either"},
		Field{Name: "no_agree", Need: Conditional, Check: ValidateNoAgree, Doc: "pay with an agreement, or give the card elements"},
		Field{Name: "bank_code", Doc: "ignored: the card's BIN decides"},
	)...), conditional(holderFields)...), creditFields...),
	Rule:    checkPayCard,
	Answer:  []string{"oid_partner", "user_id", "no_order", "dt_order", "oid_paybill", "money_order", "token", "info_order"},
	Success: "8888",
}

// easypayApply is the Easy Payment direct apply (CONTRACT-easypay-payouts
// §4.5): MPAY's pay apply rules, plain JSON (an envelope tolerated), 0000.
var easypayApply = &Endpoint{
	Name: EPEasypayApply, Path: "/easypay.htm", Prefixes: traderHost, TolerateEnvelope: true, Doc: "easypay-apply-direct-API.md",
	Summary: "Easy Payment direct apply with no_agree or card elements: 0000 and a token (the SMS code goes to the cardholder); " +
		"merchants with easypay_no_sms are paid at once (result_pay SUCCESS, or 2008 PROCESSING)",
	Request: append(append(fields(append(slices.Clone(payOrderFields),
		Field{Name: "pay_type", Need: Required, Check: CheckOneOf("MF"), Example: "M",
			Doc: "M any card (the query shows M debit, N credit), F pre-authorisation (credit cards)"},
		Field{Name: "no_agree", Need: Conditional, Check: ValidateNoAgree, Doc: "pay with an agreement, or give the card elements"},
		Field{Name: "bank_code", Doc: "ignored: the card's BIN decides"},
		Field{Name: "client_chnl", Doc: "ignored"},
		Field{Name: "time_stamp", Doc: "ignored"},
	)...), conditional(holderFields)...), creditFields...),
	Rule: checkPayCard,
	Answer: []string{"oid_partner", "no_order", "dt_order", "oid_paybill", "money_order", "token", "name_goods", "pay_type",
		"info_order", "bank_code", "result_pay", "settle_date", "no_agree"},
	Success: "0000",
}

// easypayVerify completes an Easy Payment direct apply with the SMS code.
var easypayVerify = &Endpoint{
	Name: EPEasypayVerify, Path: "/easypayverify.htm", Prefixes: traderHost, TolerateEnvelope: true, Doc: "easypay-verify-direct-api.md",
	Summary: "completes an Easy Payment direct apply with the SMS code: 0000 and result_pay SUCCESS (pay_type F: the authorisation)",
	Request: fields(
		Field{Name: "token", Need: Required, Check: CheckToken, Example: "<token of the apply>", Doc: "the apply's token"},
		Field{Name: "verify_code", Need: Required, Check: ValidateCode, Example: "123456", Doc: "the SMS code"},
		Field{Name: "no_order", Doc: "when sent, must be the token's order"},
		Field{Name: "dt_order", Check: CheckTime, Doc: "when sent, must be the token's order's"},
		Field{Name: "money_order", Check: CheckAmount, Doc: "when sent, must be the token's amount"},
	),
	Answer: []string{"oid_partner", "no_order", "dt_order", "oid_paybill", "currency_order", "money_order", "result_pay",
		"name_goods", "pay_type", "info_order", "bank_code", "settle_date", "no_agree"},
	Success: "0000",
}

// preauthOp is a capture or a cancel of an authorisation (§4.6).
func preauthOp(name, path, doc, summary string, answer []string, extra ...Field) *Endpoint {
	return &Endpoint{
		Name: name, Path: path, Prefixes: traderHost, Doc: doc, Summary: summary,
		Request: fields(append([]Field{
			{Name: "user_id", Need: Required, Check: ValidateUserID, Example: "u1", Doc: "the authorisation's user"},
			{Name: "platform", Doc: "the platform whose users the merchant shares"},
			{Name: "pay_type", Need: Required, Check: CheckOneOf("F"), Example: "F", Doc: "F"},
			{Name: "no_order", Need: Conditional, Check: ValidateOrderNo, Example: "order-1", Doc: "the authorisation, by the merchant's number"},
			{Name: "dt_order", Check: CheckTime, Doc: "when sent, must be the order's"},
			{Name: "oid_paybill", Need: Conditional, Doc: "the authorisation, by LianLian's number"},
		}, extra...)...),
		Rule:    oneOf("oid_paybill", "no_order"),
		Answer:  answer,
		Success: "0000",
	}
}

// conditional copies fs as Conditional fields.
func conditional(fs []Field) []Field {
	out := append([]Field(nil), fs...)
	for i := range out {
		out[i].Need = Conditional
	}
	return out
}

func refundApply(name, path, doc string) *Endpoint {
	return &Endpoint{
		Name: name, Path: path, Prefixes: traderHost, Doc: doc,
		Summary: "refunds (part of) a paid order; the refund settles 5 minutes later by the clock",
		Request: fields(
			Field{Name: "no_refund", Need: Required, Check: ValidateOrderNo, Example: "refund-1", Doc: "the merchant's refund number, unique"},
			Field{Name: "dt_refund", Need: Required, Check: CheckTime, Example: "20261206120500", Doc: "yyyyMMddHHmmss"},
			Field{Name: "money_refund", Need: Required, Check: CheckAmount, Example: "10.00", Doc: "yuan, at most what is left to refund"},
			Field{Name: "no_order", Need: Conditional, Check: ValidateOrderNo, Example: "order-1", Doc: "the payment, by the merchant's number"},
			Field{Name: "dt_order", Check: CheckTime, Doc: "when sent, must be the payment's"},
			Field{Name: "oid_paybill", Need: Conditional, Check: ValidateNoAgree, Doc: "the payment, by LianLian's number"},
			Field{Name: "notify_url", Need: Required, Check: ValidateURL, Example: "http://127.0.0.1:9000/notify", Doc: "where the refund is notified"},
		),
		Rule:    oneOf("oid_paybill", "no_order"),
		Answer:  refundAnswer,
		Success: "0000",
	}
}

// EndpointByName returns the endpoint named name (as `llgate call` does).
func EndpointByName(name string) (*Endpoint, bool) {
	for _, e := range Endpoints {
		if e.Name == name {
			return e, true
		}
	}
	return nil, false
}

// EndpointByPath returns the endpoint served at path (a prefixed path
// included); a path shared by two endpoints gives its owner.
func EndpointByPath(path string) (*Endpoint, bool) {
	for _, e := range Endpoints {
		for _, p := range e.Paths() {
			if p == path {
				return e, true
			}
		}
	}
	return nil, false
}

// OpensEnvelope says whether the endpoint opens a pay_load envelope.
func (e *Endpoint) OpensEnvelope() bool { return e.Transport == Envelope || e.TolerateEnvelope }
