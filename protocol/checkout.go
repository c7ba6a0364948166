package protocol

import (
	llgate "github.com/llgate/llgate"
)

// CheckoutEntry is the hosted checkout's entry request (the WEB form
// fields or the H5 req_data; CONTRACT-easypay-payouts.md §4.2 and "Where
// parts 2 and 3 meet" 3). It is not in Endpoints: its transport is a
// browser's form post and its answers are pages, not signed JSON. Fields
// not listed (version, app_request, userreq_ip, shareing_data, client_chnl,
// bank_code, time_stamp, unknown keys) are accepted and signed over.
var CheckoutEntry = &Endpoint{
	Name: "checkout", Path: "/payment/bankgateway.htm", Doc: "easypay_web_redirect.md, easypay_h5_redirect.md",
	Summary: "hosted WEB/H5 checkout entry",
	Request: []Field{
		{Name: "oid_partner", Need: Required},
		{Name: "sign_type", Need: Required},
		{Name: "sign", Need: Required},
		{Name: "user_id", Need: Required, Check: ValidateUserID},
		busiPartner,
		{Name: "no_order", Need: Required, Check: ValidateOrderNo},
		{Name: "dt_order", Need: Required, Check: CheckTime},
		{Name: "name_goods", Need: Required, Check: CheckText(40)},
		{Name: "info_order", Check: CheckText(255)},
		{Name: "money_order", Need: Required, Check: CheckAmount},
		{Name: "notify_url", Need: Required, Check: CheckReturnURL},
		{Name: "url_return", Check: CheckReturnURL},
		{Name: "back_url", Check: CheckReturnURL},
		{Name: "url_order", Check: CheckReturnURL},
		{Name: "risk_item", Need: Required, Check: CheckJSONObject},
		{Name: "valid_order", Check: CheckValidOrder},
		{Name: "pay_type", Check: CheckOneOfWords("M", "D", "P", "2", "3", "F")},
		{Name: "no_agree", Check: CheckNoAgree},
		{Name: "platform"},
		{Name: "timestamp"},
		{Name: "card_no"}, {Name: "acct_name"}, {Name: "id_type"}, {Name: "id_no"},
		{Name: "bg_color"}, {Name: "font_color"}, {Name: "syschnotify_flag"}, {Name: "flag_modify"},
	},
	// The preset card and holder count only without no_agree (the docs:
	// they are ignored when no_agree is present).
	Rule: func(o *Object) error {
		if o.Has("no_agree") {
			return nil
		}
		if v := o.Get("card_no"); v != "" {
			if err := ValidateCardNo("card_no", v); err != nil {
				return err
			}
		}
		if v := o.Get("acct_name"); v != "" {
			if err := ValidateName("acct_name", v); err != nil {
				return err
			}
		}
		if v := o.Get("id_no"); v != "" {
			t := o.Get("id_type")
			if t == "" {
				t = "0"
			}
			return ValidateIDNo(t, v)
		}
		return nil
	},
}

// CheckReturnURL: an absolute http or https URL of at most 255 characters
// (the checkout's notify_url, url_return, back_url, url_order).
func CheckReturnURL(name, v string) error {
	if len(v) > 255 {
		return llgate.FieldError(name, "must be a URL of at most 255 characters")
	}
	return ValidateURL(name, v)
}

// The sync return's fields (CONTRACT-easypay-payouts.md §4.4, Decisions 1
// and 2), sign aside: the WEB return posts exactly these as form fields
// (the classic merchant verifiers rebuild their sign source from this very
// list, so one more signed field breaks them); the H5 return posts them as
// one field res_data, a JSON object.
var (
	ReturnFieldsWEB = []string{"oid_partner", "sign_type", "dt_order", "no_order", "oid_paybill", "money_order",
		"result_pay", "settle_date", "info_order", "pay_type", "bank_code"}
	ReturnFieldsH5 = []string{"oid_partner", "sign_type", "no_order", "dt_order", "oid_paybill", "money_order",
		"result_pay", "settle_date"}
)

// SyncReturn is the unsigned sync return of a paid order in a flavour's
// field set: values from the order (and the checkout's info_order and
// pay_type), empty ones left out.
func SyncReturn(fields []string, o *llgate.Order, infoOrder, payType, signType string) *Answer {
	all := map[string]string{
		"oid_partner": o.OidPartner, "sign_type": signType, "dt_order": o.DtOrder, "no_order": o.NoOrder,
		"oid_paybill": o.OidPaybill, "money_order": o.MoneyOrder, "result_pay": llgate.OrderSuccess,
		"settle_date": o.SettleDate, "info_order": infoOrder, "pay_type": payType, "bank_code": o.BankCode,
	}
	a := &Answer{Fields: map[string]string{}}
	for _, k := range fields {
		if v := all[k]; v != "" {
			a.Fields[k] = v
		}
	}
	return a
}
