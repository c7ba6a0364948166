package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

func testRequestLog(t *testing.T, open Opener) {
	// insertLog inserts n entries one second apart from t0, alternating
	// between oidA and oidB, and returns them in insertion order.
	insertLog := func(t *testing.T, s llgate.Store, n int) []*llgate.RequestLogEntry {
		var es []*llgate.RequestLogEntry
		update(t, s, func(tx llgate.Tx) error {
			for i := range n {
				e := &llgate.RequestLogEntry{
					At:         at(time.Duration(i) * time.Second),
					Path:       "/traderapi/bankcardpay.htm",
					OidPartner: []string{oidA, oidB}[i%2],
					RetCode:    fmt.Sprintf("%04d", i),
					Reason:     fmt.Sprintf("card 6222****%04d", i),
					LatencyMS:  int64(i + 1),
					Detail:     fmt.Sprintf(`{"request":"%d"}`, i),
				}
				if err := tx.InsertRequestLog(t.Context(), e); err != nil {
					return err
				}
				es = append(es, e)
			}
			return nil
		})
		return es
	}
	// requestLog reads a page; entries come without their details.
	requestLog := func(t *testing.T, s llgate.Store, oid string, limit int) []*llgate.RequestLogEntry {
		return requestLogPage(t, s, llgate.ListQuery{OidPartner: oid, Limit: limit})
	}

	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		es := lines(insertLog(t, s, 5))
		for i := 1; i < len(es); i++ {
			if es[i].ID <= es[i-1].ID {
				t.Fatalf("IDs not increasing: got %d after %d", es[i].ID, es[i-1].ID)
			}
		}
		got := requestLog(t, s, "", 0)
		want := []*llgate.RequestLogEntry{es[4], es[3], es[2], es[1], es[0]}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("all:\ngot  %+v\nwant %+v", got, want)
		}
		if got, want := requestLog(t, s, "", 2), want[:2]; !reflect.DeepEqual(got, want) {
			t.Fatalf("limit 2:\ngot  %+v\nwant %+v", got, want)
		}
		if got, want := requestLog(t, s, oidB, 0), []*llgate.RequestLogEntry{es[3], es[1]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("oidB:\ngot  %+v\nwant %+v", got, want)
		}
		if got, want := requestLog(t, s, oidA, 1), []*llgate.RequestLogEntry{es[4]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("oidA limit 1:\ngot  %+v\nwant %+v", got, want)
		}
	})

	// A batch of 101 goes in chunks (64, 32, 4, 1): every entry gets an
	// id, in order, and reads back as written.
	t.Run("Batch", func(t *testing.T) {
		s := parallel(t, open)
		first := insertLog(t, s, 1)[0]
		var es []*llgate.RequestLogEntry
		for i := range 101 {
			es = append(es, &llgate.RequestLogEntry{
				At: at(time.Duration(i) * time.Millisecond), Path: "/v1/bankcardprepay",
				OidPartner: oidB, RetCode: fmt.Sprintf("%04d", i), Reason: fmt.Sprintf("batch %d", i),
				LatencyMS: int64(i),
			})
		}
		update(t, s, func(tx llgate.Tx) error { return tx.InsertRequestLogs(t.Context(), es) })
		prev := first.ID
		for i, e := range es {
			if e.ID <= prev {
				t.Fatalf("entry %d: id %d after %d", i, e.ID, prev)
			}
			prev = e.ID
		}
		got := requestLog(t, s, oidB, 200)
		es = lines(es)
		if len(got) != len(es) {
			t.Fatalf("read back %d entries, want %d", len(got), len(es))
		}
		for i, g := range got {
			if want := es[len(es)-1-i]; !reflect.DeepEqual(g, want) {
				t.Fatalf("newest-first entry %d:\ngot  %+v\nwant %+v", i, g, want)
			}
		}
		update(t, s, func(tx llgate.Tx) error { return tx.InsertRequestLogs(t.Context(), nil) })
	})

	t.Run("Page", func(t *testing.T) {
		s := parallel(t, open)
		es := lines(insertLog(t, s, 7)) // oidA: 0, 2, 4, 6; oidB: 1, 3, 5
		checkPages(t, s, llgate.Tx.RequestLog, func(e *llgate.RequestLogEntry) string { return fmt.Sprintf("%+v", *e) }, []page[llgate.ListQuery, *llgate.RequestLogEntry]{
			{"All", llgate.ListQuery{Offset: 2, Limit: 3}, []*llgate.RequestLogEntry{es[4], es[3], es[2]}},
			{"Merchant", llgate.ListQuery{OidPartner: oidA, Offset: 1, Limit: 2}, []*llgate.RequestLogEntry{es[4], es[2]}},
			{"OffsetNoLimit", llgate.ListQuery{OidPartner: oidB, Offset: 1}, []*llgate.RequestLogEntry{es[3], es[1]}},
			{"PastTheEnd", llgate.ListQuery{OidPartner: oidB, Offset: 3, Limit: 2}, nil},
		})
	})

	t.Run("ByID", func(t *testing.T) {
		s := parallel(t, open)
		es := insertLog(t, s, 3)
		view(t, s, func(tx llgate.Tx) error {
			for _, want := range es {
				got, err := tx.RequestLogByID(t.Context(), want.ID)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("entry %d:\ngot  %+v\nwant %+v", want.ID, got, want)
				}
			}
			if _, err := tx.RequestLogByID(t.Context(), es[2].ID+1); !errors.Is(err, llgate.ErrNotFound) {
				t.Errorf("no such entry: got %v, want ErrNotFound", err)
			}
			return nil
		})
	})

	t.Run("Codes", func(t *testing.T) {
		s := parallel(t, open)
		entry := func(oid, path, code string, d time.Duration) *llgate.RequestLogEntry {
			return &llgate.RequestLogEntry{At: at(d), Path: path, OidPartner: oid, RetCode: code, Detail: "{}"}
		}
		update(t, s, func(tx llgate.Tx) error {
			return tx.InsertRequestLogs(t.Context(), []*llgate.RequestLogEntry{
				entry(oidA, "/v1/bankcardprepay", "0000", 3*time.Second),
				entry(oidA, "/v1/bankcardprepay", "1001", time.Second),
				entry(oidA, "/v1/bankcardprepay", "0000", 5*time.Second),
				entry(oidA, "/bankcardbin.htm", "0000", 2*time.Second),
				entry(oidA, "/v1/bankcardprepay", "0000", 4*time.Second), // not the newest, though inserted last
				entry(oidB, "/v1/bankcardprepay", "1001", 9*time.Second),
			})
		})
		codes := func(oid string) []llgate.CodeCount {
			var cs []llgate.CodeCount
			view(t, s, func(tx llgate.Tx) (err error) {
				cs, err = tx.RequestCodes(t.Context(), oid)
				return err
			})
			return cs
		}
		// Bytewise: "/b..." before "/v...".
		want := []llgate.CodeCount{
			{Path: "/bankcardbin.htm", RetCode: "0000", Count: 1, Last: at(2 * time.Second)},
			{Path: "/v1/bankcardprepay", RetCode: "0000", Count: 3, Last: at(5 * time.Second)},
			{Path: "/v1/bankcardprepay", RetCode: "1001", Count: 1, Last: at(time.Second)},
		}
		if got := codes(oidA); !reflect.DeepEqual(got, want) {
			t.Errorf("oidA:\ngot  %+v\nwant %+v", got, want)
		}
		if got := codes(oidC); len(got) != 0 {
			t.Errorf("a merchant without requests: got %+v", got)
		}
	})

	t.Run("DefaultLimit", func(t *testing.T) {
		s := parallel(t, open)
		es := insertLog(t, s, 101)
		got := requestLog(t, s, "", 0)
		if len(got) != 100 {
			t.Fatalf("limit 0: got %d entries, want 100", len(got))
		}
		if got, want := got[0].ID, es[100].ID; got != want {
			t.Fatalf("first ID: got %d, want %d", got, want)
		}
		if got := requestLog(t, s, "", -1); len(got) != 100 {
			t.Fatalf("limit -1: got %d entries, want 100", len(got))
		}
	})

	t.Run("Prune", func(t *testing.T) {
		s := parallel(t, open)
		es := lines(insertLog(t, s, 5))
		var n int64
		update(t, s, func(tx llgate.Tx) (err error) {
			n, err = tx.PruneRequestLog(t.Context(), at(3*time.Second))
			return err
		})
		if n != 3 {
			t.Fatalf("pruned: got %d, want 3", n)
		}
		if got, want := requestLog(t, s, "", 0), []*llgate.RequestLogEntry{es[4], es[3]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("after prune:\ngot  %+v\nwant %+v", got, want)
		}
	})
}

// requestLogPage reads the page q selects.
func requestLogPage(t *testing.T, s llgate.Store, q llgate.ListQuery) []*llgate.RequestLogEntry {
	t.Helper()
	var es []*llgate.RequestLogEntry
	view(t, s, func(tx llgate.Tx) (err error) {
		es, err = tx.RequestLog(t.Context(), q)
		return err
	})
	return es
}

// lines returns copies of es as a page reads them: without their details.
func lines(es []*llgate.RequestLogEntry) []*llgate.RequestLogEntry {
	out := make([]*llgate.RequestLogEntry, len(es))
	for i, e := range es {
		c := *e
		c.Detail = ""
		out[i] = &c
	}
	return out
}

func testSMS(t *testing.T, open Opener) {
	smsMessages := func(t *testing.T, s llgate.Store, fp string, limit int) []*llgate.SMSMessage {
		var ms []*llgate.SMSMessage
		view(t, s, func(tx llgate.Tx) (err error) {
			ms, err = tx.SMSMessages(t.Context(), fp, limit)
			return err
		})
		return ms
	}

	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		ms := []*llgate.SMSMessage{
			{ID: "sms-1", OidPartner: oidA, MobileFP: "fp-a", Sealed: []byte{1, 0, 1}, SentAt: at(0)},
			{ID: "sms-2", OidPartner: oidA, MobileFP: "fp-b", Sealed: []byte{2}, SentAt: at(time.Second)},
			{ID: "sms-3", OidPartner: oidB, MobileFP: "fp-a", Sealed: []byte{3}, SentAt: at(2 * time.Second)},
			// Same millisecond as sms-3: the later insert is the newer.
			{ID: "sms-0", OidPartner: oidB, MobileFP: "fp-a", Sealed: []byte{4}, SentAt: at(2 * time.Second)},
		}
		update(t, s, func(tx llgate.Tx) error {
			for _, m := range ms {
				if err := tx.InsertSMS(t.Context(), m); err != nil {
					return err
				}
			}
			return nil
		})
		if got, want := smsMessages(t, s, "fp-a", 0), []*llgate.SMSMessage{ms[3], ms[2], ms[0]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("fp-a:\ngot  %+v\nwant %+v", got, want)
		}
		if got, want := smsMessages(t, s, "fp-a", 1), []*llgate.SMSMessage{ms[3]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("fp-a limit 1:\ngot  %+v\nwant %+v", got, want)
		}
		if got, want := smsMessages(t, s, "fp-b", 0), []*llgate.SMSMessage{ms[1]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("fp-b:\ngot  %+v\nwant %+v", got, want)
		}
		if got, want := smsMessages(t, s, "", 0), []*llgate.SMSMessage{ms[3], ms[2], ms[1], ms[0]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("all:\ngot  %+v\nwant %+v", got, want)
		}
		if got := smsMessages(t, s, "fp-none", 0); len(got) != 0 {
			t.Fatalf("fp-none: got %d messages, want 0", len(got))
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := parallel(t, open)
		m := &llgate.SMSMessage{ID: "sms-1", OidPartner: oidA, MobileFP: "fp", SentAt: at(0)}
		update(t, s, func(tx llgate.Tx) error { return tx.InsertSMS(t.Context(), m) })
		err := s.Update(t.Context(), func(tx llgate.Tx) error { return tx.InsertSMS(t.Context(), m) })
		if !errors.Is(err, llgate.ErrConflict) {
			t.Fatalf("got %v, want ErrConflict", err)
		}
	})
}
