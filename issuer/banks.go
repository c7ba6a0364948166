package issuer

import (
	"fmt"
	"slices"
)

//go:generate go test -run ^TestBanksDoc$ -update .

// Bank is one issuer of cardbin/name.csv with its LianLian bank_code.
type Bank struct {
	Abbr string // e.g. "ICBC"
	Code string // 8 digits, e.g. "01020000"
	Name string // Chinese name, e.g. "中国工商银行"
}

// wellKnown are LianLian's own bank codes (cardbin data README).
var wellKnown = map[string]string{
	"PSBC":    "01000000",
	"ICBC":    "01020000",
	"ABC":     "01030000",
	"BOC":     "01040000",
	"CCB":     "01050000",
	"COMM":    "03010000",
	"CITIC":   "03020000",
	"CEB":     "03030000",
	"HXBANK":  "03040000",
	"CMBC":    "03050000",
	"GDB":     "03060000",
	"SPABANK": "03070000",
	"CMB":     "03080000",
	"CIB":     "03090000",
	"SPDB":    "03100000",
}

// assignedPrefix starts every code llgate assigns; no well-known code starts
// with it.
const assignedPrefix = "09"

// assignCodes gives every abbreviation its bank_code. The rule
// (docs/banks.md): a well-known bank keeps LianLian's code; any other bank
// gets "09" followed by its 1-based position, as 6 digits, among all the
// abbreviations of name.csv sorted bytewise (well-known ones counted, so
// learning a real code later moves no other bank). Positions are distinct and
// below 10^6, so assigned codes never collide with each other or with a
// well-known code. docs/banks.md is checked by a test, so a data update that
// would move an existing code fails it.
func assignCodes(abbrs []string) (map[string]string, error) {
	sorted := slices.Clone(abbrs)
	slices.Sort(sorted)
	if len(sorted) >= 1e6 {
		return nil, fmt.Errorf("%d banks do not fit 6 digits", len(sorted))
	}
	codes := make(map[string]string, len(sorted))
	for i, a := range sorted {
		if i > 0 && sorted[i-1] == a {
			return nil, fmt.Errorf("bank %q listed twice", a)
		}
		if c, ok := wellKnown[a]; ok {
			codes[a] = c
			continue
		}
		codes[a] = fmt.Sprintf("%s%06d", assignedPrefix, i+1)
	}
	return codes, nil
}
