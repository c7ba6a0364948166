package issuer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
)

func mustTestCard(tb testing.TB, bin string, length int, seed uint64, outcome string) string {
	tb.Helper()
	c, err := TestCard(bin, length, seed, outcome)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cardNo string
		want   Card
	}{
		// The captured clients' card (testdata/clients).
		{"ICBCDebit", "6222021234567800002", Card{"ICBC", "01020000", "中国工商银行", Debit, "622202"}},
		{"CreditCC", mustTestCard(t, "62223", 16, 7, "0000"), Card{"ICBC", "01020000", "中国工商银行", Credit, "62223"}},
		{"CreditCMB", mustTestCard(t, "622575", 16, 1, "0000"), Card{"CMB", "03080000", "招商银行", Credit, "622575"}},
		{"CreditSCC", mustTestCard(t, "49102", 16, 1, "0000"), Card{"ABC", "01030000", "中国农业银行", Credit, "49102"}},
		{"Prepaid", mustTestCard(t, "620010", 16, 1, "0000"), Card{"SPABANK", "03070000", "平安银行", Prepaid, "620010"}},
		// bin.csv has 621260 twice, for 16 (SPABANK credit) and 19 digits
		// (CSRCB debit), and 621260001 (XFRCB) for 19 digits.
		{"SamePrefix16", mustTestCard(t, "621260", 16, 1, "0000"), Card{"SPABANK", "03070000", "平安银行", Credit, "621260"}},
		{"SamePrefix19", mustTestCard(t, "621260", 19, 1, "0000"), Card{"CSRCB", cardsCode(t, "CSRCB"), "常熟农商银行", Debit, "621260"}},
		{"LongestPrefix", mustTestCard(t, "621260001", 19, 1, "0000"), Card{"XFRCB", cardsCode(t, "XFRCB"), "咸丰常农商村镇银行", Debit, "621260001"}},
		// 9558 and 95588 are both ICBC 19-digit rows: the longer matches.
		{"LongestPrefixSameBank", mustTestCard(t, "95588", 19, 1, "0000"), Card{"ICBC", "01020000", "中国工商银行", Debit, "95588"}},
		{"ShortPrefix", mustTestCard(t, "9558", 19, 1, "0000"), Card{"ICBC", "01020000", "中国工商银行", Debit, "9558"}},
		{"ThreeDigits", mustTestCard(t, "103", 19, 1, "0000"), Card{"ABC", "01030000", "中国农业银行", Debit, "103"}},
		{"TenDigits", mustTestCard(t, "6229756115", 19, 1, "0000"), Card{"BJRCB", cardsCode(t, "BJRCB"), "北京农村商业银行", Debit, "6229756115"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Lookup(tc.cardNo)
			if err != nil {
				t.Fatalf("Lookup(%s): %v", tc.cardNo, err)
			}
			if got != tc.want {
				t.Errorf("Lookup(%s) = %+v, want %+v", tc.cardNo, got, tc.want)
			}
		})
	}
}

// cardsCode is the bank_code the table assigned to abbr.
func cardsCode(tb testing.TB, abbr string) string {
	tb.Helper()
	for _, b := range Banks() {
		if b.Abbr == abbr {
			return b.Code
		}
	}
	tb.Fatalf("no bank %s", abbr)
	return ""
}

func TestLookupNoBIN(t *testing.T) {
	for _, cardNo := range []string{
		mustTestCard(t, "411111", 16, 1, "0000"),   // Visa test range: not UnionPay
		mustTestCard(t, "622202", 16, 1, "0000"),   // ICBC's 622202 is 19 digits only
		mustTestCard(t, "622202", 18, 1, "0000"),   // nor 18
		mustTestCard(t, "000000", 12, 1, "0000"),   // shortest length
		mustTestCard(t, "9999999", 19, 99, "1102"), // outcome digits change nothing here
	} {
		if _, err := Lookup(cardNo); !errors.Is(err, ErrNoBIN) {
			t.Errorf("Lookup(%s) = %v, want ErrNoBIN", cardNo, err)
		}
	}
}

func TestLookupBadNumber(t *testing.T) {
	valid := "6222021234567800002"
	for _, tc := range []struct{ name, cardNo string }{
		{"Empty", ""},
		{"Luhn", "6222021234567800003"},
		{"LuhnSwap", "6222021234567800020"},
		{"Letter", "622202123456780000a"},
		{"Space", "6222 021234567800002"},
		{"Sign", "+222021234567800002"},
		{"FullWidth", "６222021234567800002"},
		{"TooShort", "42424242420"}, // 11 digits, Luhn-valid
		{"TooLong", "62220212345678000001"},
		{"Masked", "622202*********0002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Lookup(tc.cardNo)
			var e *llgate.Error
			if !errors.As(err, &e) || e.Code != "1100" {
				t.Fatalf("Lookup(%q) = %v, want a 1100", tc.cardNo, err)
			}
			if len(tc.cardNo) >= 6 && strings.Contains(err.Error(), tc.cardNo) ||
				strings.Contains(err.Error(), valid[:12]) {
				t.Errorf("error %q shows the card number", err)
			}
		})
	}
	if !Luhn("42424242420") {
		t.Fatal("the TooShort case is meant to be Luhn-valid")
	}
}

// TestTableRules checks the matching rule on crafted data: the longest prefix
// of the card's length wins; on the same prefix and length the first row.
func TestTableRules(t *testing.T) {
	bins := "bin,bank,type,length\n" +
		"622,AAA,DC,16\n" +
		"62220,BBB,CC,16\n" +
		"622202,CCC,DC,16\n" +
		"622202,DDD,SCC,19\n" +
		"622202,EEE,CC,16\n" + // same prefix and length as CCC: ignored
		"6222021234,FFF,PC,16\n" +
		"62220212,GGG,DC,19\n"
	names := "bank,name\n\nAAA,甲\nBBB,乙\nCCC,丙\nDDD,丁\nEEE,戊\nFFF,己\nGGG,庚\n"
	tab, err := parseTable([]byte(bins), []byte(names))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cardNo   string
		abbr     string // "" for no match
		typ      CardType
		bin      string
		wantCode string
	}{
		{"6222021234000000", "FFF", Prepaid, "6222021234", "09000006"},
		{"6222021299999999", "CCC", Debit, "622202", "09000003"},
		{"6222029999999999", "CCC", Debit, "622202", "09000003"},
		{"6222099999999999", "BBB", Credit, "62220", "09000002"},
		{"6229999999999999", "AAA", Debit, "622", "09000001"},
		{"6222021200000000000", "GGG", Debit, "62220212", "09000007"},
		{"6222021300000000000", "DDD", Credit, "622202", "09000004"},
		{"6229999999999999999", "", "", "", ""},    // 622 is 16 digits only
		{"62220212345678901", "", "", "", ""},      // no 17-digit rows
		{"6232999999999999", "", "", "", ""},       // no prefix
		{"62", "", "", "", ""},                     // shorter than any BIN
		{"62220212345678901234", "", "", "", ""},   // longer than any card
		{"6222021234000000000000", "", "", "", ""}, // far longer
	} {
		got, err := tab.lookup(tc.cardNo)
		if tc.abbr == "" {
			if !errors.Is(err, ErrNoBIN) {
				t.Errorf("lookup(%s) = %+v, %v; want ErrNoBIN", tc.cardNo, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("lookup(%s): %v", tc.cardNo, err)
			continue
		}
		if got.BankAbbr != tc.abbr || got.Type != tc.typ || got.BIN != tc.bin || got.BankCode != tc.wantCode {
			t.Errorf("lookup(%s) = %+v, want %s %s %s %s", tc.cardNo, got, tc.abbr, tc.typ, tc.bin, tc.wantCode)
		}
	}
}

func TestParseTableErrors(t *testing.T) {
	names := "bank,name\nAAA,甲\n"
	for _, tc := range []struct{ name, bins, names string }{
		{"BinHeader", "bin,bank,type\n622,AAA,DC\n", names},
		{"NameHeader", "bin,bank,type,length\n", "abbr,name\n"},
		{"Fields", "bin,bank,type,length\n622,AAA,DC\n", names},
		{"UnknownBank", "bin,bank,type,length\n622,ZZZ,DC,16\n", names},
		{"UnknownType", "bin,bank,type,length\n622,AAA,XC,16\n", names},
		{"Length", "bin,bank,type,length\n622,AAA,DC,20\n", names},
		{"LengthText", "bin,bank,type,length\n622,AAA,DC,x\n", names},
		{"ShortBIN", "bin,bank,type,length\n62,AAA,DC,16\n", names},
		{"LongBIN", "bin,bank,type,length\n62220212345,AAA,DC,16\n", names},
		{"LetterBIN", "bin,bank,type,length\n62a,AAA,DC,16\n", names},
		{"EmptyName", "bin,bank,type,length\n", "bank,name\nAAA,\n"},
		{"DuplicateBank", "bin,bank,type,length\n", "bank,name\nAAA,甲\nAAA,乙\n"},
		{"Empty", "", names},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseTable([]byte(tc.bins), []byte(tc.names)); err == nil {
				t.Error("parseTable accepted it")
			}
		})
	}
}

type csvRow struct {
	bin, bank, typ string
	length         int
}

// readBins reads cardbin/bin.csv on its own, without parseTable.
func readBins(tb testing.TB) []csvRow {
	tb.Helper()
	b, err := os.ReadFile("cardbin/bin.csv")
	if err != nil {
		tb.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	var rows []csvRow
	for _, r := range recs[1:] {
		n, err := strconv.Atoi(r[3])
		if err != nil {
			tb.Fatal(err)
		}
		rows = append(rows, csvRow{r[0], r[1], r[2], n})
	}
	return rows
}

// bruteForce is the rule read literally: scan every row, keep the longest
// prefix of the card's length, the first on a tie.
func bruteForce(rows []csvRow, cardNo string) (csvRow, bool) {
	var best csvRow
	found := false
	for _, r := range rows {
		if r.length == len(cardNo) && strings.HasPrefix(cardNo, r.bin) && (!found || len(r.bin) > len(best.bin)) {
			best, found = r, true
		}
	}
	return best, found
}

var wantType = map[string]CardType{"DC": Debit, "CC": Credit, "SCC": Credit, "PC": Prepaid}

// TestEmbeddedTable checks every row of the real data against the literal
// rule, with cards made from each row and from random digits.
func TestEmbeddedTable(t *testing.T) {
	rows := readBins(t)
	if got, want := len(rows), 1709; got != want {
		t.Errorf("bin.csv has %d rows, want %d", got, want)
	}
	// Real duplicates (same prefix and length), if the data ever gets any,
	// are covered by bruteForce keeping the first; report them.
	seen := map[string]bool{}
	for _, r := range rows {
		k := r.bin + "/" + strconv.Itoa(r.length)
		if seen[k] {
			t.Logf("duplicate row %s %d (%s): the first row wins", r.bin, r.length, r.bank)
		}
		seen[k] = true
	}
	check := func(cardNo string) {
		t.Helper()
		got, err := Lookup(cardNo)
		want, ok := bruteForce(rows, cardNo)
		if !ok {
			if !errors.Is(err, ErrNoBIN) {
				t.Errorf("Lookup(%s) = %+v, %v; want ErrNoBIN", cardNo, got, err)
			}
			return
		}
		if err != nil {
			t.Errorf("Lookup(%s): %v; want %+v", cardNo, err, want)
			return
		}
		if got.BIN != want.bin || got.BankAbbr != want.bank || got.Type != wantType[want.typ] {
			t.Errorf("Lookup(%s) = %+v, want %+v", cardNo, got, want)
		}
	}
	exact := 0
	for i, r := range rows {
		for _, seed := range []uint64{0, uint64(i), 99999999999} {
			c := mustTestCard(t, r.bin, r.length, seed, "0000")
			check(c)
			if got, _ := Lookup(c); got.BIN == r.bin {
				exact++
			}
		}
	}
	// A few rows' cards reach a longer BIN (621260 + 001... is 621260001).
	if exact < 3*len(rows)*95/100 {
		t.Errorf("only %d of %d cards matched their own row", exact, 3*len(rows))
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		r := rows[rnd.IntN(len(rows))]
		// Keep 3 to 6 digits of a real BIN, randomise the rest.
		keep := min(len(r.bin), 3+rnd.IntN(4))
		c := mustTestCard(t, r.bin[:keep], r.length, rnd.Uint64(), strconv.Itoa(1000+rnd.IntN(9000)))
		check(c)
	}
}
