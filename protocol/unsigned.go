package protocol

import "strings"

// AnswerUnsigned lists the answer fields that stay outside the signature for
// the endpoint at path (CONTRACT.md §6): agreement_list in the bind list;
// bank_name, memo and card_no in the order query. Every other non-empty
// top-level field is signed, card_no included elsewhere. path may carry a
// host prefix such as /queryapi.
func AnswerUnsigned(path string) []string {
	switch {
	case strings.HasSuffix(path, "/bankcardbindlist.htm"):
		return []string{"agreement_list"}
	case strings.HasSuffix(path, "/orderquery.htm"):
		return []string{"bank_name", "memo", "card_no"}
	}
	return nil
}
