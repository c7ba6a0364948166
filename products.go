package llgate

import (
	"fmt"
	"slices"
	"strings"
)

// Product lines a merchant may be given (the merchant field products,
// matched without regard to case; canonical lower case).
const (
	ProductMPAY       = "mpay"       // card binding and quick pay (MPAY)
	ProductEasypay    = "easypay"    // the hosted checkout, easypay direct API, pre-authorisation
	ProductInstantpay = "instantpay" // payouts and the balance
	ProductEbank      = "ebank"      // online banking
	ProductGateway    = "gateway"    // the unified gateway
	ProductWallet     = "wallet"     // aggregate (wallet) payment
	ProductExchange   = "exchange"   // exchange payment
)

// AllProducts lists every product line, in the order the docs present them.
var AllProducts = []string{ProductMPAY, ProductEasypay, ProductInstantpay, ProductEbank, ProductGateway,
	ProductWallet, ProductExchange}

// Content types a notification may be sent with (merchant field
// notify_content_type).
const (
	NotifyJSONText        = "text/json;charset=utf-8" // the default, as LianLian sends
	NotifyJSONApplication = "application/json;charset=utf-8"
)

// CanonicalProducts returns names in lower case, each once, in the order of
// AllProducts; an unknown name is an error naming it.
func CanonicalProducts(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		c := strings.ToLower(strings.TrimSpace(n))
		if !slices.Contains(AllProducts, c) {
			return nil, fmt.Errorf("products: unknown product %q (known: %s)", n, strings.Join(AllProducts, ", "))
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		return slices.Index(AllProducts, a) - slices.Index(AllProducts, b)
	})
	return out, nil
}

// Allows reports whether the merchant may use the product line: every line
// when Products is empty.
func (m *Merchant) Allows(product string) bool {
	return len(m.Products) == 0 || slices.Contains(m.Products, product)
}

// ContentType is the Content-Type of the merchant's notifications.
func (m *Merchant) ContentType() string {
	if m.NotifyContentType == "" {
		return NotifyJSONText
	}
	return m.NotifyContentType
}
