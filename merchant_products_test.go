package llgate_test

import (
	"reflect"
	"testing"

	llgate "github.com/llgate/llgate"
)

func TestCanonicalProducts(t *testing.T) {
	got, err := llgate.CanonicalProducts([]string{"EasyPay", " mpay ", "easypay", "Exchange"})
	if err != nil || !reflect.DeepEqual(got, []string{"mpay", "easypay", "exchange"}) {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := llgate.CanonicalProducts([]string{"mpay", "paypal"}); err == nil {
		t.Fatal("unknown product: want an error")
	}
	m := &llgate.Merchant{}
	if !m.Allows(llgate.ProductEasypay) || m.ContentType() != llgate.NotifyJSONText {
		t.Fatal("empty products allow every line; the default content type is text/json")
	}
	m.Products = []string{llgate.ProductMPAY}
	if m.Allows(llgate.ProductEasypay) || !m.Allows(llgate.ProductMPAY) {
		t.Fatal("products [mpay]: easypay refused, mpay allowed")
	}
}
