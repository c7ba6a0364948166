package httpapi

import (
	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// Require returns a 1004 naming the first of names that is missing or empty.
func Require(f *protocol.Object, names ...string) error {
	for _, n := range names {
		if !f.Has(n) {
			return llgate.FieldError(n, "missing")
		}
	}
	return nil
}
