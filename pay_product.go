package llgate

// The product lines one payment engine serves: MPAY quick pay, and Easy
// Payment (the direct API and the hosted cashier). They differ only in
// what a pay_type means and in the product the order records; every other
// rule (cards, limits, codes, agreements) is the same code.

// productOf names the merchant product line (Product*) a payment product
// (PayProduct*) needs.
func productOf(payProduct string) string {
	if payProduct == PayProductEasypay {
		return ProductEasypay
	}
	return ProductMPAY
}

// Easy Payment pay_types (CONTRACT-easypay-payouts §4.2, §4.5, §4.6).
const (
	EasypayAnyCard = "M" // absent, M, D, P: a regular payment, any card type
	EasypayDebit   = "2" // debit cards only
	EasypayCredit  = "3" // credit cards only
	EasypayPreauth = "F" // pre-authorisation, credit cards only
)

// easypayTerms is what an Easy Payment pay_type means: the pay_type the
// order records (absent → M) and the card family it needs ("" = any). A
// pay_type of another line (online banking, wallets) is a 1004.
func easypayTerms(payType string) (recorded, family string, err error) {
	switch payType {
	case "":
		return EasypayAnyCard, "", nil
	case EasypayAnyCard, "D", "P":
		return payType, "", nil
	case EasypayDebit:
		return payType, FamilyDebit, nil
	case EasypayCredit, EasypayPreauth:
		return payType, FamilyCredit, nil
	}
	return "", "", FieldError("pay_type", "not an Easy Payment pay_type")
}

// terms returns the apply as the engine runs it: its product resolved
// (empty = MPAY), and for Easy Payment the recorded pay_type and the card
// family it needs. The merchant must have the product line (3010). The
// caller's PayApply is left as it was.
func (a *PayApply) terms() (*PayApply, error) {
	t := *a
	if t.Product == "" {
		t.Product = PayProductMPAY
	}
	if t.Product != PayProductMPAY && t.Product != PayProductEasypay {
		return nil, Errorf(CodeSystem, "unknown payment product %q", t.Product)
	}
	if !t.Merchant.Allows(productOf(t.Product)) {
		return nil, Errorf(CodeNoProduct, "merchant lacks the %s product", productOf(t.Product))
	}
	if t.Product == PayProductEasypay {
		var err error
		if t.PayType, t.Family, err = easypayTerms(t.PayType); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// IsPreauth says whether the order is an Easy Payment pre-authorisation.
func (o *Order) IsPreauth() bool {
	return o.Product == PayProductEasypay && o.PayType == EasypayPreauth
}

// agreementFamily is the family an agreement made by the order's payment
// gets: MPAY's pay_type family; for Easy Payment the card's own family.
func agreementFamily(o *Order, cardType string) string {
	if o.Product != PayProductEasypay {
		return FamilyOf(o.PayType)
	}
	if cardType == "3" {
		return FamilyCredit
	}
	return FamilyDebit
}

// QueryPayType is the pay_type the order query reports: MPAY's as sent;
// Easy Payment's F and D as sent, a regular payment M (debit) or N
// (credit) by its card (§4.7); before a checkout's order has a card, the
// entry's pay_type as recorded (absent → M).
func QueryPayType(o *Order) string {
	if o.Product != PayProductEasypay || o.PayType == EasypayPreauth || o.PayType == "D" || o.CardLess() {
		return o.PayType
	}
	if o.CardType == "3" {
		return "N"
	}
	return "M"
}
