package issuer

import "testing"

// BenchmarkLookup looks up cards of every row of bin.csv in turn: Luhn, the
// format check and the table.
func BenchmarkLookup(b *testing.B) {
	rows := readBins(b)
	cards := make([]string, len(rows))
	for i, r := range rows {
		cards[i] = mustTestCard(b, r.bin, r.length, uint64(i), "0000")
	}
	Lookup(cards[0]) // parse the table outside the timing
	i := 0
	for b.Loop() {
		if _, err := Lookup(cards[i]); err != nil {
			b.Fatal(err)
		}
		i++
		if i == len(cards) {
			i = 0
		}
	}
}
