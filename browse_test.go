package llgate_test

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/sqlite/sqlitetest"
	"github.com/llgate/llgate/vault"
)

const browseOid = "201408071000001539"

var browseT0 = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

// insertPayments stores n orders of browseOid, one a second, and returns
// their oid_paybills oldest first.
func insertPayments(t *testing.T, s llgate.Store, n int) []string {
	t.Helper()
	var ids []string
	err := s.Update(t.Context(), func(tx llgate.Tx) error {
		for i := range n {
			id := fmt.Sprintf("20261122%08d", i)
			o := &llgate.Order{OidPaybill: id, OidPartner: browseOid, NoOrder: "o" + id, Status: llgate.OrderSuccess,
				CreatedAt: browseT0.Add(time.Duration(i) * time.Second)}
			if err := tx.InsertOrder(t.Context(), o); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestBrowsePages: a page holds at most Limit rows, and more says whether
// another row follows it, which the store answers by one row more.
func TestBrowsePages(t *testing.T) {
	s := sqlitetest.Open(t)
	ids := insertPayments(t, s, 5)
	b := &llgate.Browse{Store: s}
	for _, tc := range []struct {
		name  string
		q     llgate.ListQuery
		first string // newest first
		n     int
		more  bool
	}{
		{"FirstPage", llgate.ListQuery{Limit: 2}, ids[4], 2, true},
		{"MiddlePage", llgate.ListQuery{Offset: 2, Limit: 2}, ids[2], 2, true},
		{"LastPage", llgate.ListQuery{Offset: 4, Limit: 2}, ids[0], 1, false},
		{"ExactlyLimit", llgate.ListQuery{Limit: 5}, ids[4], 5, false},
		{"OneMore", llgate.ListQuery{Limit: 4}, ids[4], 4, true},
		{"DefaultLimit", llgate.ListQuery{}, ids[4], 5, false},
		{"NegativeOffset", llgate.ListQuery{Offset: -3, Limit: 1}, ids[4], 1, true},
		{"PastTheEnd", llgate.ListQuery{Offset: 9, Limit: 1}, "", 0, false},
		{"OtherMerchant", llgate.ListQuery{OidPartner: "201408071000001540"}, "", 0, false},
		{"OtherStatus", llgate.ListQuery{Status: llgate.OrderFailure}, "", 0, false},
	} {
		rows, more, err := b.Payments(t.Context(), tc.q)
		if err != nil {
			t.Fatal(err)
		}
		first := ""
		if len(rows) > 0 {
			first = rows[0].OidPaybill
		}
		if len(rows) != tc.n || more != tc.more || first != tc.first {
			t.Errorf("%s: %d rows from %q, more %v; want %d from %q, more %v", tc.name, len(rows), first, more, tc.n, tc.first, tc.more)
		}
	}

	t.Run("MaxPageSize", func(t *testing.T) {
		s := sqlitetest.Open(t)
		insertPayments(t, s, llgate.MaxPageSize+1)
		rows, more, err := (&llgate.Browse{Store: s}).Payments(t.Context(), llgate.ListQuery{Limit: 10 * llgate.MaxPageSize})
		if err != nil || len(rows) != llgate.MaxPageSize || !more {
			t.Fatalf("%d rows, more %v, %v; want %d and more", len(rows), more, err, llgate.MaxPageSize)
		}
	})

	t.Run("PaymentNotFound", func(t *testing.T) {
		if _, err := b.Payment(t.Context(), "2026112299999999"); !errors.Is(err, llgate.ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})
}

// TestRequestLogDetail: the writer builds each entry's detail and stores
// it; a builder that panics costs its entry the detail, not the writer.
func TestRequestLogDetail(t *testing.T) {
	s := sqlitetest.Open(t)
	v, err := vault.New(s, vault.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	l := llgate.NewRequestLog(s, v, slog.New(slog.DiscardHandler), true)
	defer l.Close()
	fields := map[string]string{"oid_partner": browseOid, "card_no": "6222021234567800002", "sign_type": "RSA"}
	check := &llgate.SignCheck{SignType: "RSA", Keys: 2, Values: llgate.NewSignValues(fields, l.SignFingerprint)}
	check.Source = llgate.MaskedSource(check.Values)
	add := func(code string, detail func() *llgate.RequestDetail) {
		l.Add(llgate.RequestLogEntry{At: browseT0, Path: "/bankcardbin.htm", OidPartner: browseOid, RetCode: code, LatencyMS: 7}, detail)
	}
	add("1001", func() *llgate.RequestDetail { return &llgate.RequestDetail{RequestText: "{}", Sign: check} })
	add("9999", func() *llgate.RequestDetail { panic("builder broke") })
	add("0000", nil)

	es, more, err := l.Page(t.Context(), llgate.ListQuery{OidPartner: browseOid, Limit: 2})
	if err != nil || len(es) != 2 || !more || es[0].RetCode != "0000" || es[1].RetCode != "9999" {
		t.Fatalf("page: %+v, more %v, %v", es, more, err)
	}
	if es[0].Detail != "" || es[0].LatencyMS != 7 {
		t.Errorf("a page entry: %+v, want its latency and no detail loaded", es[0])
	}
	for _, e := range es {
		if _, d, err := l.Get(t.Context(), e.ID); err != nil || d != nil {
			t.Errorf("%s: detail %+v, %v; want none", e.RetCode, d, err)
		}
	}
	_, d, err := l.Get(t.Context(), es[1].ID-1)
	if err != nil || d == nil || d.Sign == nil || d.Sign.Keys != 2 || d.RequestText != "{}" {
		t.Fatalf("the 1001's detail: %+v, %v", d, err)
	}
	if diff := l.Compare(d.Sign, "card_no=6222021234567800002&oid_partner="+browseOid+"&sign_type=RSA"); !diff.Same {
		t.Errorf("the same source, compared after a round trip through the store: %+v", diff)
	}
	if diff := l.Compare(d.Sign, "card_no=6222021234567800010&oid_partner="+browseOid+"&sign_type=RSA"); diff.Same || diff.Field != "card_no" {
		t.Errorf("another card: %+v", diff)
	}
	if _, _, err := l.Get(t.Context(), es[0].ID+1); !errors.Is(err, llgate.ErrNotFound) {
		t.Errorf("no such entry: %v, want ErrNotFound", err)
	}
	codes, err := l.Codes(t.Context(), browseOid)
	if err != nil || len(codes) != 3 || codes[0].RetCode != "0000" || codes[0].Count != 1 || !codes[0].Last.Equal(browseT0) {
		t.Fatalf("codes: %+v, %v", codes, err)
	}
}
