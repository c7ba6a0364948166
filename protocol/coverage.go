package protocol

// CodeTrigger is a return code an endpoint can answer and how a merchant's
// test produces it (the console's coverage page lists the ones not met yet).
type CodeTrigger struct {
	Code string
	How  string
}

// pipelineCodes are answered by every endpoint, before its own rules.
var pipelineCodes = []CodeTrigger{
	{"1012", "send a body that is not JSON (or an empty one)"},
	{"9901", "send a body over 64 KiB, or one with a key twice"},
	{"3001", "send an oid_partner llgate does not know"},
	{"1001", "sign with another key, or change a field after signing"},
	{"1004", "leave a required field out (ret_msg names it)"},
	{"1008", "set the merchant's ip_allowlist to another address, then call"},
	{"9903", "call faster than the rate limit (--rate-per-addr 5, say)"},
	{"9999", "something failed on llgate's side (a database outage): retry later, query the order"},
}

var envelopeCodes = []CodeTrigger{{"4007", "send a pay_load sealed to another public key, or corrupt one part of it"}}

// Card checks of a bind apply and a pay apply with card elements; the
// example cards are in docs/return-codes.md.
var cardCodes = []CodeTrigger{
	{"1100", "a card number that fails the Luhn check (change its last digit)"},
	{"1102", "a card whose BIN is not in the table: 7777000000100004"},
	{"1103", "a credit card (6221480000100002) with vali_date in the past"},
	{"5601", "pay_type 2 (debit) with a credit card, or 3 with a debit card"},
	{"9912", "a prepaid card: 6200190000100002"},
	{"9704", "the SMS test card 6222020000000197046, or more texts than the caps (to one phone, or to more distinct phones in an hour than the merchant's velocity.phones_per_hour)"},
	{"1101", "test card 6222020000000111013"}, {"1105", "test card 6222020000000111054"},
	{"1107", "test card 6222020000000111070"}, {"1108", "test card 6222020000000111088"},
	{"1109", "test card 6222020000000111096"}, {"1110", "test card 6222020000000111104"},
	{"1112", "test card 6222020000000111120"}, {"1113", "test card 6222020000000111138"},
	{"1114", "test card 6222020000000111146"}, {"1115", "test card 6222020000000111153"},
	{"1200", "test card 6222020000000112003"}, {"1805", "test card 6222020000000118059"},
	{"9000", "test card 6222020000000190009"}, {"9970", "test card 6222020000000199703"},
}

// velocityCards is the merchant's hourly cap of distinct card numbers.
var velocityCards = CodeTrigger{"1014", "more distinct card numbers in an hour than the merchant's velocity.cards_per_hour (set it to 1, then try a second card)"}

var codeVerifyCodes = []CodeTrigger{
	{"1000", "a token that is unknown, used, or older than 30 minutes (advance the clock)"},
	{"9700", "a wrong SMS code"},
	{"9702", "the fifth wrong code in a row"},
	{"9703", "the right code 11 minutes after it was sent (advance the clock)"},
}

var limitCodes = []CodeTrigger{
	{"1019", "more than the per-transaction limit (a merchant that is not live: 50.00)"},
	{"1014", "more than the person's daily limit, in several payments"},
	{"1016", "more than the person's monthly limit"},
}

// endpointCodes are each endpoint's own codes, success first.
var endpointCodes = map[string][]CodeTrigger{
	EPBindApply: join([]CodeTrigger{{"8888", "a valid bind apply"},
		{"7018", "a user_id that belongs to another person with an active agreement"},
		{"3009", "bind a card the user has bound already"}, velocityCards}, cardCodes),
	EPBindApplyPlain: join([]CodeTrigger{{"0000", "a valid bind apply"},
		{"7018", "a user_id that belongs to another person with an active agreement"},
		{"3009", "bind a card the user has bound already"}, velocityCards}, cardCodes),
	EPBindVerify:      join([]CodeTrigger{{"0000", "the right code"}, {"3009", "verify a second bind of the same card"}}, codeVerifyCodes),
	EPBindVerifyPlain: join([]CodeTrigger{{"0000", "the right code"}, {"3009", "verify a second bind of the same card"}}, codeVerifyCodes),
	EPUnbind:          {{"0000", "unbind an active agreement"}, {"3003", "an unknown or already unbound no_agree"}},
	EPBindList:        {{"0000", "a user with agreements"}, {"8901", "a user without any"}},
	EPCardBin: {{"0000", "a card in the table"}, {"1100", "a card number that fails the Luhn check"},
		{"5001", "a BIN not in the table: 7777000000100004"}, {"9912", "a prepaid card: 6200190000100002"}, velocityCards},
	EPPayApply: join([]CodeTrigger{{"8888", "a valid pay apply"},
		{"1002", "another request under a no_order used before"},
		{"3003", "a no_agree that is unknown or unbound"}}, limitCodes, cardCodes),
	EPPayVerify: join([]CodeTrigger{{"0000", "the right code"},
		{"2006", "verify after valid_order ran out (valid_order 1, advance the clock 2 minutes)"},
		{"2007", "verify an order that is paid already"},
		{"2008", "test card 6222020000000120089: PROCESSING, paid 5 minutes later by the clock"},
		{"3003", "unbind the agreement between apply and verify"},
		{"6001", "test card 6222020000000160010"}, {"1005", "test card 6222020000000110056"},
		{"1111", "test card 6222020000000111112"}, {"9094", "test card 6222020000000190942"},
		{"9990", "test card 6222020000000199901"}, {"9991", "test card 6222020000000199919"}},
		codeVerifyCodes, limitCodes),
	EPEasypayApply: join([]CodeTrigger{{"0000", "a valid Easy Payment apply (merchants with easypay_no_sms: paid at once)"},
		{"3010", "a merchant whose products leave out easypay"},
		{"5601", "pay_type F with a debit card"},
		{"2008", "easypay_no_sms with test card 6222020000000120089: PROCESSING, paid 5 minutes later by the clock"},
		{"1002", "another request under a no_order used before (by any product)"},
		{"3003", "a no_agree that is unknown or unbound"}}, limitCodes, cardCodes),
	EPEasypayVerify: join([]CodeTrigger{{"0000", "the right code (pay_type F: the authorisation, PR07)"},
		{"2006", "verify after valid_order ran out (valid_order 1, advance the clock 2 minutes)"},
		{"2007", "verify an order that is paid already"},
		{"2008", "test card 6222020000000120089: PROCESSING, paid 5 minutes later by the clock"},
		{"3003", "unbind the agreement between apply and verify"},
		{"6001", "test card 6222020000000160010"}, {"1005", "test card 6222020000000110056"}},
		codeVerifyCodes, limitCodes),
	EPPreauthCapture: {{"0000", "capture an authorised order (PR07 → PR11)"},
		{"8901", "an unknown order, another merchant's or user's, or not pay_type F"},
		{"7017", "money_order 0 or over the authorised amount"},
		{"5008", "an order not authorised yet (verify first)"},
		{"2007", "capture a captured order with another request, or cancel a captured one"},
		{"2006", "capture a cancelled order, one whose capture failed, or one authorised 30 days ago (advance the clock)"},
		{"2008", "a card with outcome digits 2008: PR12, PR11 5 minutes later"},
		{"8104", "a card with outcome digits 8104: PR13"}},
	EPPreauthCancel: {{"0000", "cancel an authorised order (PR07 → PR14)"},
		{"8901", "an unknown order, another merchant's or user's, or not pay_type F"},
		{"7017", "money_order other than the authorised amount"},
		{"5008", "an order not authorised yet"},
		{"2007", "cancel a captured order"},
		{"2006", "cancel an expired order or one whose capture failed"},
		{"2008", "a card with outcome digits 2008: PR15, PR14 5 minutes later"},
		{"5005", "a card with outcome digits 5005: PR16"}},
	EPPreauthQuery: {{"PR07", "an authorised order"}, {"PR08", "after the apply, before the verify"},
		{"PR09", "the 2008 card's verify, for 5 minutes"}, {"PR10", "a declined verify (6001 card)"},
		{"PR11", "captured"}, {"PR12", "captured with a 2008 card, for 5 minutes"}, {"PR13", "captured with an 8104 card"},
		{"PR14", "cancelled"}, {"PR15", "cancelled with a 2008 card, for 5 minutes"}, {"PR16", "cancelled with a 5005 card"},
		{"2003", "a checkout entry with pay_type F, before its code step"}, {"2006", "valid_order ran out, or 30 days after PR07"},
		{"8901", "an unknown order, another merchant's, or not pay_type F"}},
	EPOrderQuery:     {{"0000", "an order of the merchant"}, {"8901", "an unknown order, or another merchant's"}},
	EPRefund:         refundCodes,
	EPExchangeRefund: refundCodes,
	EPRefundQuery:    {{"0000", "a refund of the merchant"}, {"8901", "an unknown refund, or another merchant's"}},
	EPBalanceQuery:   {{"0000", "any signed query: amt_balance and amt_unsettle, 2 decimals"}},
}

var refundCodes = []CodeTrigger{{"0000", "refund a paid order (state 0; 2 five minutes later; test card 6222020000000199208 ends in 3)"},
	{"5002", "an unknown payment, or another merchant's"},
	{"5008", "a payment that is not paid"},
	{"5007", "more than what is left to refund"},
	{"2006", "a payment older than 6 months (advance the clock)"},
	{"1002", "another request under a no_refund used before"},
	{"5006", "more than the merchant's amt_unsettle and amt_balance hold together (payouts drained them)"}}

func join(parts ...[]CodeTrigger) []CodeTrigger {
	var out []CodeTrigger
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// CodesOf returns every code the endpoint can answer, its own first, then
// the envelope's and the pipeline's, each code once.
func CodesOf(e *Endpoint) []CodeTrigger {
	all := join(endpointCodes[e.Name])
	if e.OpensEnvelope() {
		all = append(all, envelopeCodes...)
	}
	all = append(all, pipelineCodes...)
	seen := map[string]bool{}
	out := all[:0:0]
	for _, t := range all {
		if !seen[t.Code] {
			seen[t.Code] = true
			out = append(out, t)
		}
	}
	return out
}
