package protocol

import "strings"

// AnswerUnsigned lists the answer fields that stay outside the signature for
// the endpoint at path (the endpoint table's Unsigned): agreement_list in
// the bind list; bank_name, memo and card_no in the order query. Every other
// non-empty top-level field is signed, card_no included elsewhere. path may
// carry a host prefix such as /queryapi, and a base URL's own prefix.
func AnswerUnsigned(path string) []string {
	for _, e := range Endpoints {
		if strings.HasSuffix(path, e.Path) {
			return e.Unsigned
		}
	}
	return nil
}
