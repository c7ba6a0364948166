package protocol

import llgate "github.com/llgate/llgate"

// A ValueField is one field of a notification or an answer, and where its
// value comes from. These tables are the only place the fields are named.
type ValueField[T any] struct {
	Name string
	Of   func(T) string
}

// paymentNoticeFields are a payment notification's fields (CONTRACT.md §7),
// sign_type and sign aside.
var paymentNoticeFields = []ValueField[*llgate.PaymentNotice]{
	{"oid_partner", func(n *llgate.PaymentNotice) string { return n.Order.OidPartner }},
	{"no_order", func(n *llgate.PaymentNotice) string { return n.Order.NoOrder }},
	{"dt_order", func(n *llgate.PaymentNotice) string { return n.Order.DtOrder }},
	{"oid_paybill", func(n *llgate.PaymentNotice) string { return n.Order.OidPaybill }},
	{"money_order", func(n *llgate.PaymentNotice) string { return n.Order.MoneyOrder }},
	{"result_pay", func(*llgate.PaymentNotice) string { return llgate.OrderSuccess }},
	{"settle_date", func(n *llgate.PaymentNotice) string { return n.SettleDate }},
	{"info_order", func(n *llgate.PaymentNotice) string { return n.InfoOrder }},
	{"pay_type", func(n *llgate.PaymentNotice) string { return n.Order.PayType }},
	{"bank_code", func(n *llgate.PaymentNotice) string { return n.Order.BankCode }},
	{"no_agree", func(n *llgate.PaymentNotice) string { return n.NoAgree }},
}

// paymentNoticeExtra are sent only to merchants with notify_extra_fields,
// in full, as the docs show them.
var paymentNoticeExtra = []ValueField[*llgate.PaymentNotice]{
	{"id_type", func(n *llgate.PaymentNotice) string { return n.Holder.IDType }},
	{"id_no", func(n *llgate.PaymentNotice) string { return n.Holder.IDNo }},
	{"acct_name", func(n *llgate.PaymentNotice) string { return n.Holder.AcctName }},
	{"card_no", func(n *llgate.PaymentNotice) string { return n.Holder.CardNo }},
}

// refund is a refund with its payment, whose bank it names.
type refund struct {
	f *llgate.Refund
	o *llgate.Order
}

// refundFields are a refund's answer and notification fields (CONTRACT.md
// §8): money_foreign_refund is money_refund, rate 1.00, rate_id 1,
// exchange_bankcode the payment's bank; settle_date once it succeeded.
var refundFields = []ValueField[refund]{
	{"oid_partner", func(r refund) string { return r.f.OidPartner }},
	{"no_refund", func(r refund) string { return r.f.NoRefund }},
	{"dt_refund", func(r refund) string { return r.f.DtRefund }},
	{"money_refund", func(r refund) string { return r.f.MoneyRefund }},
	{"money_foreign_refund", func(r refund) string { return r.f.MoneyRefund }},
	{"rate_id", func(refund) string { return "1" }},
	{"rate", func(refund) string { return "1.00" }},
	{"exchange_bankcode", func(r refund) string { return r.o.BankCode }},
	{"oid_refundno", func(r refund) string { return r.f.OidRefundno }},
	{"sta_refund", func(r refund) string { return r.f.Status }},
	{"settle_date", func(r refund) string {
		if r.f.Status != llgate.RefundSuccess {
			return ""
		}
		return r.f.SettleDate
	}},
}

func valuesOf[T any](fs []ValueField[T], v T, into map[string]string) map[string]string {
	if into == nil {
		into = make(map[string]string, len(fs))
	}
	for _, f := range fs {
		into[f.Name] = f.Of(v)
	}
	return into
}

func namesOf[T any](fs []ValueField[T]) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// PaymentNoticeOf is the payment notification's fields for n; the extra
// fields only when n carries the holder.
func PaymentNoticeOf(n *llgate.PaymentNotice) map[string]string {
	m := valuesOf(paymentNoticeFields, n, nil)
	if n.Holder != nil {
		valuesOf(paymentNoticeExtra, n, m)
	}
	return m
}

// RefundFieldsOf is a refund's fields, for its answers and its notification.
func RefundFieldsOf(f *llgate.Refund, o *llgate.Order) map[string]string {
	return valuesOf(refundFields, refund{f, o}, nil)
}

// The field names, for the docs and the tests; sign_type is set when the
// body is signed, sign with it.
var (
	PaymentNotice      = append([]string{"sign_type"}, namesOf(paymentNoticeFields)...)
	PaymentNoticeExtra = namesOf(paymentNoticeExtra)
	RefundNotice       = append([]string{"sign_type"}, namesOf(refundFields)...)
	refundAnswer       = namesOf(refundFields)
)
