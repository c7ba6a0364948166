package protocol

import "testing"

// TestCodesOf: every endpoint has its own codes, success first, and every
// code is one of the return-code table's.
func TestCodesOf(t *testing.T) {
	for _, e := range Endpoints {
		codes := CodesOf(e)
		if len(codes) == 0 || codes[0].Code != e.Success {
			t.Errorf("%s: codes %v, want its success %s first", e.Name, codes, e.Success)
		}
		for _, c := range codes {
			if Message(c.Code) == "" || c.How == "" {
				t.Errorf("%s: code %s has no message or no trigger", e.Name, c.Code)
			}
		}
	}
}
