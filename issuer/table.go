package issuer

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
)

// The data's MIT licence travels with it inside the binary (DataLicense).
//
//go:embed cardbin/bin.csv cardbin/name.csv cardbin/LICENSE
var cardbin embed.FS

// DataLicense returns the licence of the embedded BIN data (hexindai/bcbc,
// MIT), for a binary's notices.
func DataLicense() string {
	b, _ := cardbin.ReadFile("cardbin/LICENSE")
	return string(b)
}

const (
	minBIN, maxBIN   = 3, 10 // prefix digits in bin.csv
	minCard, maxCard = 12, 19
)

// table answers BIN lookups: one map per card length from prefix to row, and
// per card length a bit set of the prefix lengths present, so a lookup tries
// at most 8 prefixes, longest first, without allocating.
type table struct {
	byLen    [maxCard + 1]map[string]int32 // card length -> prefix -> row index
	prefixes [maxCard + 1]uint16           // card length -> bit p set if a p-digit prefix exists
	rows     []row
	banks    []Bank // name.csv order
	byCode   map[string]int
	// codeOrder lists indexes of banks in bank_code order.
	codeOrder []int
}

type row struct {
	bin  string
	bank int32 // index in banks
	typ  CardType
}

var (
	defaultOnce  sync.Once
	defaultTable *table
)

// cards returns the embedded table, parsed on first use. The data is part of
// the binary and tested, so a parse failure is a build defect: it panics.
func cards() *table {
	defaultOnce.Do(func() {
		bins, err := cardbin.ReadFile("cardbin/bin.csv")
		if err != nil {
			panic(err)
		}
		names, err := cardbin.ReadFile("cardbin/name.csv")
		if err != nil {
			panic(err)
		}
		t, err := parseTable(bins, names)
		if err != nil {
			panic("issuer: embedded card BIN data: " + err.Error())
		}
		defaultTable = t
	})
	return defaultTable
}

func (t *table) lookup(cardNo string) (Card, error) {
	n := len(cardNo)
	if n > maxCard {
		return Card{}, ErrNoBIN
	}
	m, set := t.byLen[n], t.prefixes[n]
	for p := min(maxBIN, n); p >= minBIN; p-- {
		if set&(1<<p) == 0 {
			continue
		}
		if i, ok := m[cardNo[:p]]; ok {
			r := &t.rows[i]
			b := &t.banks[r.bank]
			return Card{BankAbbr: b.Abbr, BankCode: b.Code, BankName: b.Name, Type: r.typ, BIN: r.bin}, nil
		}
	}
	return Card{}, ErrNoBIN
}

var cardTypes = map[string]CardType{"DC": Debit, "CC": Credit, "SCC": Credit, "PC": Prepaid}

// parseTable reads bin.csv (bin,bank,type,length) and name.csv (bank,name).
// Every bank of bin.csv must be named in name.csv.
func parseTable(bins, names []byte) (*table, error) {
	t := &table{byCode: map[string]int{}}
	index := map[string]int32{}
	nameRows, err := readCSV(names, "bank", "name")
	if err != nil {
		return nil, fmt.Errorf("name.csv: %w", err)
	}
	abbrs := make([]string, 0, len(nameRows))
	for _, r := range nameRows {
		if r[0] == "" || r[1] == "" {
			return nil, fmt.Errorf("name.csv: empty field in %q", r)
		}
		abbrs = append(abbrs, r[0])
	}
	codes, err := assignCodes(abbrs)
	if err != nil {
		return nil, fmt.Errorf("name.csv: %w", err)
	}
	for _, r := range nameRows {
		index[r[0]] = int32(len(t.banks))
		t.byCode[codes[r[0]]] = len(t.banks)
		t.banks = append(t.banks, Bank{Abbr: r[0], Code: codes[r[0]], Name: r[1]})
	}
	t.codeOrder = make([]int, len(t.banks))
	for i := range t.codeOrder {
		t.codeOrder[i] = i
	}
	slices.SortFunc(t.codeOrder, func(a, b int) int {
		if t.banks[a].Code < t.banks[b].Code {
			return -1
		}
		return 1 // codes are unique
	})

	binRows, err := readCSV(bins, "bin", "bank", "type", "length")
	if err != nil {
		return nil, fmt.Errorf("bin.csv: %w", err)
	}
	for line, r := range binRows {
		bin, abbr, kind, length := r[0], r[1], r[2], r[3]
		bank, ok := index[abbr]
		if !ok {
			return nil, fmt.Errorf("bin.csv row %d: bank %q not in name.csv", line+1, abbr)
		}
		typ, ok := cardTypes[kind]
		if !ok {
			return nil, fmt.Errorf("bin.csv row %d: card type %q", line+1, kind)
		}
		n, err := strconv.Atoi(length)
		if err != nil || n < minCard || n > maxCard {
			return nil, fmt.Errorf("bin.csv row %d: length %q", line+1, length)
		}
		if len(bin) < minBIN || len(bin) > maxBIN || !digits(bin) || len(bin) >= n {
			return nil, fmt.Errorf("bin.csv row %d: bin %q", line+1, bin)
		}
		if t.byLen[n] == nil {
			t.byLen[n] = map[string]int32{}
		}
		if _, dup := t.byLen[n][bin]; dup {
			continue // the first row wins (CONTRACT.md §4)
		}
		t.byLen[n][bin] = int32(len(t.rows))
		t.prefixes[n] |= 1 << len(bin)
		t.rows = append(t.rows, row{bin: bin, bank: bank, typ: typ})
	}
	return t, nil
}

// readCSV reads a CSV file with the given header and returns its data rows;
// blank lines are skipped.
func readCSV(data []byte, header ...string) ([][]string, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = len(header)
	r.ReuseRecord = false
	first, err := r.Read()
	if err != nil {
		return nil, err
	}
	if !slices.Equal(first, header) {
		return nil, fmt.Errorf("header %q, want %q", first, header)
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, rec)
	}
}
