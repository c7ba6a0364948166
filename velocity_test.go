package llgate_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llgate/llgate/postgres/pgtest"
	"github.com/llgate/llgate/sqlite/sqlitetest"

	"github.com/llgate/llgate"
	"github.com/llgate/llgate/issuer"
	"github.com/llgate/llgate/vault"
)

// TestVelocityOf: a merchant's own cap replaces the default, 0 takes it,
// and caps off (--limits off) turn velocity off whatever the merchant set.
// Counters are fingerprints: no address in plaintext.
func TestVelocityOf(t *testing.T) {
	v, err := vault.New(sqlitetest.Open(t), vault.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr("192.0.2.7")
	for _, tc := range []struct {
		name          string
		caps          llgate.Caps
		own           llgate.Velocity
		addr          netip.Addr
		phones, cards int
		counters      int
	}{
		{"Defaults", llgate.DefaultCaps(), llgate.Velocity{}, addr, 100, 200, 2},
		{"Own", llgate.DefaultCaps(), llgate.Velocity{PhonesPerHour: 3, CardsPerHour: 7}, addr, 3, 7, 2},
		{"OwnPhonesOnly", llgate.DefaultCaps(), llgate.Velocity{PhonesPerHour: 3}, addr, 3, 200, 2},
		{"NoAddress", llgate.DefaultCaps(), llgate.Velocity{}, netip.Addr{}, 100, 200, 1},
		{"Off", llgate.Caps{}, llgate.Velocity{PhonesPerHour: 3, CardsPerHour: 7}, addr, 0, 0, 0},
	} {
		m := &llgate.Merchant{OidPartner: "201408071000001539", Velocity: tc.own}
		phones, cards, counters := llgate.VelocityOf(tc.caps, v, m, tc.addr)
		if phones != tc.phones || cards != tc.cards || len(counters) != tc.counters {
			t.Errorf("%s: got %d, %d, %d counters; want %d, %d, %d", tc.name, phones, cards, len(counters), tc.phones, tc.cards, tc.counters)
		}
		wantCounters := []string{"merchant:" + m.OidPartner, "addr:" + v.Fingerprint("addr", addr.String())}[:tc.counters]
		if !slices.Equal(counters, wantCounters) {
			t.Errorf("%s: counters %v, want %v", tc.name, counters, wantCounters)
		}
	}
	// An IPv4 address is one counter however it arrives; an IPv6 /64 is
	// one counter (its holder can pick any address in it).
	counter := func(a string) string {
		_, _, c := llgate.VelocityOf(llgate.DefaultCaps(), v, &llgate.Merchant{}, netip.MustParseAddr(a))
		return c[1]
	}
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"192.0.2.7", "::ffff:192.0.2.7", true},
		{"192.0.2.7", "192.0.2.8", false},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true},
		{"2001:db8:1:2::1", "2001:db8:1:3::1", false},
	} {
		if got := counter(tt.a) == counter(tt.b); got != tt.same {
			t.Errorf("%s and %s: one counter = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}

// countingIssuer is the simulated issuer, counting its holder checks.
type countingIssuer struct {
	*issuer.Simulated
	checks atomic.Int32
}

// ChargeIsLocal is false: it stands for a real channel, which the velocity
// caps spare the probes they would refuse.
func (c *countingIssuer) ChargeIsLocal() bool { return false }

func (c *countingIssuer) CheckHolder(ctx context.Context, h llgate.Card) (llgate.HolderResult, error) {
	c.checks.Add(1)
	return c.Simulated.CheckHolder(ctx, h)
}

// texts is an SMS provider that accepts everything.
type texts struct{}

func (texts) Send(context.Context, llgate.SMS) error { return nil }

// TestVelocitySparesIssuer: once a counter is at its cap, a new card is
// refused before the issuer hears of it (a real channel would otherwise
// see the tester's probes).
func TestVelocitySparesIssuer(t *testing.T) {
	store := sqlitetest.Open(t)
	v, err := vault.New(store, vault.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	clock := llgate.ClockFunc(func() time.Time { return time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC) })
	iss := &countingIssuer{Simulated: &issuer.Simulated{Store: store, Vault: v, Clock: clock, Outcomes: true}}
	b := &llgate.Binding{Store: store, Vault: v, Clock: clock, Issuer: iss, SMS: texts{}, Mode: llgate.ModeSandbox, Caps: llgate.DefaultCaps()}
	m := &llgate.Merchant{OidPartner: "201408071000001539", Velocity: llgate.Velocity{CardsPerHour: 1}}
	apply := func(seed uint64, outcome string) string {
		cardNo, err := issuer.TestCard("622202", 19, seed, outcome)
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.Apply(t.Context(), &llgate.BindApply{
			Merchant: m, Scope: llgate.Scope(m, ""), UserID: "u", Family: llgate.FamilyDebit,
			Card: llgate.Card{CardNo: cardNo, IDType: "0", IDNo: "110105199003071239", AcctName: "张三", Mobile: "13800138000"},
			Addr: netip.MustParseAddr("192.0.2.7"),
		})
		return llgate.ErrorCode(err)
	}
	if got := apply(1, "1101"); got != "1101" {
		t.Fatalf("first card: %s, want 1101", got)
	}
	if got := apply(2, "0000"); got != llgate.CodeLimitDay {
		t.Fatalf("second card: %s, want 1014", got)
	}
	if got := iss.checks.Load(); got != 1 {
		t.Fatalf("holder checks: %d, want 1 (the second card must not reach the issuer)", got)
	}
}

// BenchmarkVelocity measures what the velocity caps add to a card-BIN query
// and a bind apply (durable commits), each with a new card and phone, one
// at a time: "off" is --limits off, "caps" the SMS caps alone, "on" the SMS
// caps and the velocity caps, with caps no run reaches. PostgreSQL runs
// when LLGATE_TEST_POSTGRES is set.
func BenchmarkVelocity(b *testing.B) {
	stores := map[string]func(testing.TB) llgate.Store{"sqlite": func(tb testing.TB) llgate.Store { return sqlitetest.Open(tb) }}
	if os.Getenv(pgtest.Env) != "" {
		stores["postgres"] = func(tb testing.TB) llgate.Store { return pgtest.Open(tb) }
	}
	for engine, open := range stores {
		for _, limits := range []string{"off", "caps", "on"} {
			b.Run(engine+"/CardBin/"+limits, func(b *testing.B) {
				bind, m := benchBinding(b, open(b), limits)
				cards := benchCards(b, b.N)
				b.ResetTimer()
				for i := range b.N {
					if _, err := bind.CardBin(b.Context(), m, netip.MustParseAddr("192.0.2.7"), cards[i]); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(engine+"/BindApply/"+limits, func(b *testing.B) {
				bind, m := benchBinding(b, open(b), limits)
				cards := benchCards(b, b.N)
				b.ResetTimer()
				for i := range b.N {
					_, err := bind.Apply(b.Context(), &llgate.BindApply{
						Merchant: m, Scope: llgate.Scope(m, ""), UserID: fmt.Sprintf("u%d", i), Family: llgate.FamilyDebit,
						Card: llgate.Card{CardNo: cards[i], IDType: "0", IDNo: "110105199003071239", AcctName: "张三",
							Mobile: fmt.Sprintf("139%08d", i)},
						Addr: netip.MustParseAddr("192.0.2.7"),
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func benchBinding(b *testing.B, store llgate.Store, limits string) (*llgate.Binding, *llgate.Merchant) {
	v, err := vault.New(store, vault.GenerateMasterKey())
	if err != nil {
		b.Fatal(err)
	}
	clock := llgate.ClockFunc(func() time.Time { return time.Now().UTC() })
	bind := &llgate.Binding{
		Store: store, Vault: v, Clock: clock, SMS: texts{}, Mode: llgate.ModeSandbox,
		Issuer: &issuer.Simulated{Store: store, Vault: v, Clock: clock, Outcomes: true},
	}
	if limits != "off" {
		bind.Caps = llgate.DefaultCaps()
		bind.Caps.MobilePer10Min, bind.Caps.MobilePerDay, bind.Caps.CardPerDay, bind.Caps.UserPerDay = 1e9, 1e9, 1e9, 1e9
	}
	if limits == "caps" {
		bind.Caps.PhonesPerHour, bind.Caps.CardsPerHour = 0, 0
	}
	m := &llgate.Merchant{OidPartner: "201408071000001539", Velocity: llgate.Velocity{PhonesPerHour: llgate.MaxVelocity, CardsPerHour: llgate.MaxVelocity}}
	return bind, m
}

func benchCards(b *testing.B, n int) []string {
	out := make([]string, n)
	for i := range out {
		c, err := issuer.TestCard("622202", 19, uint64(i+1), "0000")
		if err != nil {
			b.Fatal(err)
		}
		out[i] = c
	}
	return out
}
