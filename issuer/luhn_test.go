package issuer

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestLuhn(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"6222021234567800002", true},
		{"6222021234568000008", true},
		{"4111111111111111", true},
		{"79927398713", true}, // the textbook example
		{"0", true},
		{"00", true},
		{"18", true},
		{"6222021234567800003", false},
		{"79927398710", false},
		{"6222081202008631114", false}, // a sample in the LianLian docs
		{"", false},
		{"1", false},
		{"7992739871a", false},
		{"-18", false},
	} {
		if got := Luhn(tc.s); got != tc.want {
			t.Errorf("Luhn(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// TestLuhnOneDigit checks that the check digit is the only one of ten that
// passes, and that every single-digit change fails.
func TestLuhnOneDigit(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		n := 12 + rnd.IntN(8)
		b := make([]byte, n-1)
		for i := range b {
			b[i] = byte('0' + rnd.IntN(10))
		}
		valid := 0
		for d := byte('0'); d <= '9'; d++ {
			if Luhn(string(b) + string(d)) {
				valid++
				if d != checkDigit(string(b)) {
					t.Fatalf("%s%c passes, checkDigit says %c", b, d, checkDigit(string(b)))
				}
			}
		}
		if valid != 1 {
			t.Fatalf("%s: %d check digits pass, want 1", b, valid)
		}
		card := string(b) + string(checkDigit(string(b)))
		i := rnd.IntN(n)
		changed := []byte(card)
		changed[i] = '0' + (changed[i]-'0'+byte(1+rnd.IntN(9)))%10
		if Luhn(string(changed)) {
			t.Fatalf("%s passes, changed from %s", changed, card)
		}
	}
}

func TestTestCard(t *testing.T) {
	for _, tc := range []struct {
		bin     string
		length  int
		seed    uint64
		outcome string
		want    string
	}{
		// The captured clients' cards were made this way.
		{"622202", 19, 12345678, "0000", "6222021234567800002"},
		{"622202", 19, 12345680, "0000", "6222021234568000008"},
		{"622202", 19, 12345681, "0000", "6222021234568100006"},
		{"622202", 19, 0, "9704", "6222020000000097048"},
		{"622202", 19, 1234567890, "0000", "6222023456789000008"}, // lowest 8 digits of the seed
		{"62220212345678", 19, 5, "1101", "6222021234567811017"},  // no room: seed unused
	} {
		got, err := TestCard(tc.bin, tc.length, tc.seed, tc.outcome)
		if err != nil || got != tc.want {
			t.Errorf("TestCard(%s, %d, %d, %s) = %s, %v; want %s", tc.bin, tc.length, tc.seed, tc.outcome, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		bin     string
		length  int
		outcome string
	}{
		{"622202123456789", 19, "0000"}, // 15 + 4 + 1 > 19
		{"6222021234", 14, "0000"},
		{"622202", 20, "0000"},
		{"622202", 11, "0000"},
		{"", 19, "0000"},
		{"62a202", 19, "0000"},
		{"622202", 19, "000"},
		{"622202", 19, "00000"},
		{"622202", 19, "00a0"},
	} {
		if got, err := TestCard(tc.bin, tc.length, 1, tc.outcome); err == nil {
			t.Errorf("TestCard(%q, %d, 1, %q) = %s, want an error", tc.bin, tc.length, tc.outcome, got)
		}
	}
}

// TestTestCardRoundTrip: generated cards have the asked length, pass Luhn and
// Lookup, carry their outcome, and distinct seeds give distinct cards.
func TestTestCardRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for _, bin := range []string{"622202", "62223", "620010", "9558", "6229756115"} {
		for _, length := range []int{16, 19} {
			if _, err := Lookup(mustTestCard(t, bin, length, 0, "0000")); err != nil {
				continue // not every BIN has both lengths
			}
			for seed := range uint64(200) {
				outcome := strconv.Itoa(1000 + int(seed*37%9000))
				c := mustTestCard(t, bin, length, seed, outcome)
				if len(c) != length || !Luhn(c) {
					t.Fatalf("TestCard(%s, %d, %d) = %s: length %d, Luhn %v", bin, length, seed, c, len(c), Luhn(c))
				}
				if got := Outcome(c); got != outcome {
					t.Errorf("Outcome(%s) = %s, want %s", c, got, outcome)
				}
				card, err := Lookup(c)
				if err != nil || card.BIN != bin {
					t.Errorf("Lookup(%s) = %+v, %v; want BIN %s", c, card, err, bin)
				}
				if seen[c] {
					t.Errorf("%s made twice", c)
				}
				seen[c] = true
			}
		}
	}
	if len(seen) < 1000 {
		t.Errorf("%d cards made, want at least 1000", len(seen))
	}
}
