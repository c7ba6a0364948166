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
	requestLog := func(t *testing.T, s llgate.Store, oid string, limit int) []*llgate.RequestLogEntry {
		var es []*llgate.RequestLogEntry
		view(t, s, func(tx llgate.Tx) (err error) {
			es, err = tx.RequestLog(t.Context(), oid, limit)
			return err
		})
		return es
	}

	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		es := insertLog(t, s, 5)
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
		es := insertLog(t, s, 5)
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
