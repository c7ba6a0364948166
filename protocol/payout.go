package protocol

import (
	llgate "github.com/llgate/llgate"
)

// Instant Payment endpoints (CONTRACT-easypay-payouts §4.8, §4.9, §4.11).
const (
	EPPayout        = "payout"
	EPPayoutConfirm = "payout-confirm"
	EPPayoutQuery   = "payout-query"
)

// payoutCodes are the confirm's codes the official Java payout demo knows
// (client I2) and return-codes.md lacks (§4.14).
var payoutCodes = []CodeInfo{
	{"4008", "验证码次数超限", "Too many wrong confirm codes"},
	{"4010", "验证码失效", "The confirm code has expired"},
	{"4011", "验证码不匹配", "Wrong confirm code"},
}

func init() {
	Endpoints = append(Endpoints, payoutApply, payoutConfirm, payoutQuery)
	endpointCodes[EPPayout] = []CodeTrigger{
		{"0000", "a payout within amt_balance (top up with POST /admin/merchants/{oid}/balance): PROCESSING, SUCCESS a minute later"},
		{"4007", "send plain signed JSON instead of a pay_load envelope"},
		{"4005", "a merchant whose products leave out instantpay"},
		{"1004", "flag_card other than 0/1, bank_code missing for flag_card 1, info_order missing from 50000.00"},
		{"5505", "an unknown bank_code"}, {"5506", "a memo over 24 characters after filtering"},
		{"5502", "a credit card"}, {"9912", "a prepaid card"},
		{"1019", "over 50.00 (not live) or payout_limits.per_txn"}, {"1014", "over the day's payout limit"}, {"1016", "over the month's"},
		{"4002", "the same card and amount again within 24 hours"},
		{"4003", "a card whose outcome digits are 4003, or one bound under another name"}, {"4004", "both"},
		{"9104", "more than amt_balance"}, {"1002", "another request under a used no_order"}}
	endpointCodes[EPPayoutConfirm] = []CodeTrigger{
		{"0000", "the apply's confirm_code within 24 hours"}, {"4011", "a wrong confirm_code"},
		{"4008", "the 6th wrong confirm_code (CLOSED)"}, {"4010", "24 hours after the apply (advance the clock)"},
		{"4001", "an unknown payout, another merchant's, or one not in CHECK"}, {"9104", "more than amt_balance"}}
	endpointCodes[EPPayoutQuery] = []CodeTrigger{{"0000", "a payout of the merchant"}, {"8901", "an unknown payout, or another merchant's"}}
}

var payoutApply = &Endpoint{
	Name: EPPayout, Path: "/paymentapi/payment.htm", Transport: Envelope, EnvelopeOnly: true, Doc: "instant-payment-apply-API.md",
	Product: llgate.ProductInstantpay, ProductCode: llgate.CodePayoutProduct,
	Summary: "a payout to a debit card (flag_card 0) or business account (1): 0000 debits amt_balance (PROCESSING); " +
		"4002/4003/4004 answer a confirm_code (CHECK, confirm within 24 hours); a pay_load envelope is required (4007)",
	Request: fields(
		Field{Name: "no_order", Need: Required, Check: ValidateOrderNo, Example: "payout-1", Doc: "the merchant's payout number"},
		Field{Name: "dt_order", Need: Required, Check: CheckTime, Example: "20261206120000", Doc: "yyyyMMddHHmmss"},
		Field{Name: "money_order", Need: Required, Check: CheckAmount, Example: "10.00", Doc: "CNY, 0.01 to 99999999.99"},
		Field{Name: "card_no", Need: Required, Example: "6222020000000100008", Doc: "the payee's debit card (12-19 digits) or account (6-32)"},
		Field{Name: "acct_name", Need: Required, Check: CheckText(64), Example: "张三", Doc: "the payee's name"},
		Field{Name: "flag_card", Need: Required, Check: CheckOneOfWords("0", "1"), Example: "0", Doc: "0 personal debit card, 1 business account"},
		Field{Name: "notify_url", Need: Required, Check: ValidateURL, Example: "http://127.0.0.1:8080/notify", Doc: "where SUCCESS, FAILURE and CANCEL are notified"},
		Field{Name: "bank_code", Doc: "8-digit bank code; required for flag_card 1 (5505 when unknown)"},
		Field{Name: "info_order", Check: CheckText(255), Doc: "the payout's purpose; required from 50000.00; echoed in the notification"},
		Field{Name: "memo", Doc: "shown on the bank statement: characters other than letters, digits, Chinese, _ and - are removed; over 24 left: 5506"},
		Field{Name: "platform", Doc: "accepted, not checked"},
		Field{Name: "bank_name", Doc: "accepted, ignored"},
		Field{Name: "prcptcd", Doc: "accepted, ignored"},
		Field{Name: "city_code", Doc: "accepted, ignored"},
		Field{Name: "brabank_name", Doc: "accepted, ignored"},
		Field{Name: "risk_item", Doc: "accepted, ignored"},
	),
	Rule:    checkPayout,
	Answer:  []string{"oid_partner", "no_order", "oid_paybill", "confirm_code"},
	Success: "0000",
}

// checkPayout: bank_code is required for a business account, info_order
// from 50000.00.
func checkPayout(o *Object) error {
	if o.Get("flag_card") == "1" && !o.Has("bank_code") {
		return llgate.FieldError("bank_code", "required for flag_card 1")
	}
	if a, err := ParseAmount("money_order", o.Get("money_order")); err == nil && a >= llgate.InfoOrderRequiredFrom && !o.Has("info_order") {
		return llgate.FieldError("info_order", "required from 50000.00")
	}
	return nil
}

var payoutConfirm = &Endpoint{
	Name: EPPayoutConfirm, Path: "/paymentapi/confirmPayment.htm", Transport: Envelope, EnvelopeOnly: true, Doc: "instant-payment-confirm-API.md",
	Product: llgate.ProductInstantpay, ProductCode: llgate.CodePayoutProduct,
	Summary: "confirms a payout in CHECK with its confirm_code: 0000 debits amt_balance (PROCESSING); 4011 wrong code, 4008 the 6th, 4010 after 24 hours",
	Request: fields(
		Field{Name: "no_order", Need: Required, Check: ValidateOrderNo, Example: "payout-1", Doc: "the payout"},
		Field{Name: "confirm_code", Need: Required, Example: "123456", Doc: "the apply's confirm_code"},
		Field{Name: "notify_url", Need: Required, Check: ValidateURL, Example: "http://127.0.0.1:8080/notify", Doc: "replaces the apply's"},
		Field{Name: "platform", Doc: "accepted, ignored"},
	),
	Answer:  []string{"oid_partner", "no_order", "oid_paybill"},
	Success: "0000",
}

var payoutQuery = &Endpoint{
	Name: EPPayoutQuery, Path: "/paymentapi/queryPayment.htm", Doc: "instant-payment-result-query.md",
	Summary: "a payout's result_pay (CHECK, PROCESSING, SUCCESS, FAILURE, CANCEL, CLOSED), every field signed, memo the failure's reason",
	Request: fields(
		Field{Name: "no_order", Need: Conditional, Example: "payout-1", Doc: "the merchant's payout number"},
		Field{Name: "oid_paybill", Need: Conditional, Doc: "LianLian's payout number"},
		Field{Name: "query_version", Doc: "ignored"},
		Field{Name: "platform", Doc: "ignored"},
	),
	Rule:    oneOf("oid_paybill", "no_order"),
	Answer:  []string{"oid_partner", "no_order", "dt_order", "money_order", "result_pay", "oid_paybill", "info_order", "settle_date", "memo"},
	Success: "0000",
}
