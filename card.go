package llgate

// Card is a card and its holder, as a bind or a payment with card elements
// gives them, and as an agreement or an order keeps them under its seal.
// CVV2 is only ever in memory: it is checked at apply and never sealed.
type Card struct {
	CardNo   string `json:"card_no"`
	IDType   string `json:"id_type"`
	IDNo     string `json:"id_no"`
	AcctName string `json:"acct_name"`
	Mobile   string `json:"bind_mob"`
	ValiDate string `json:"vali_date,omitempty"`
	CVV2     string `json:"-"`
}

// FamilyOf is the family of a pay_type: MPAY 2/3/P and the trader API's
// M/N/D name the same three, F is easypay's authorization; "" for anything
// else. Which pay_types an endpoint takes is the endpoint table's rule.
func FamilyOf(payType string) string {
	switch payType {
	case "2", "M":
		return FamilyDebit
	case "3", "N":
		return FamilyCredit
	case "P", "D":
		return FamilyAuth
	case "F":
		return FamilyEasy
	}
	return ""
}

func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}
