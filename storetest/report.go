package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

func testReport(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := parallel(t, open)
		ctx := t.Context()
		r1 := &llgate.Report{Name: oidA + "_20261121.txt", OidPartner: oidA, Size: 3, Content: []byte{0, 1, 2, 0xff}, CreatedAt: at(0)}
		r0 := &llgate.Report{Name: oidA + "_20261120.txt", OidPartner: oidA, Size: 1, Content: []byte{9}, CreatedAt: at(time.Second)}
		rb := &llgate.Report{Name: oidB + "_20261121.txt", OidPartner: oidB, Size: 2, Content: []byte{7, 7}, CreatedAt: at(0)}
		update(t, s, func(tx llgate.Tx) error {
			for _, r := range []*llgate.Report{r1, rb, r0} {
				if err := tx.PutReport(ctx, r); err != nil {
					return err
				}
			}
			return nil
		})

		list := func(oid string) []*llgate.Report {
			var rs []*llgate.Report
			view(t, s, func(tx llgate.Tx) (err error) {
				rs, err = tx.Reports(ctx, oid)
				return err
			})
			return rs
		}
		get := func(name string) *llgate.Report {
			var r *llgate.Report
			view(t, s, func(tx llgate.Tx) (err error) {
				r, err = tx.Report(ctx, name)
				return err
			})
			return r
		}
		noContent := func(r *llgate.Report) *llgate.Report {
			c := *r
			c.Content = nil
			return &c
		}

		if got, want := list(oidA), []*llgate.Report{noContent(r0), noContent(r1)}; !reflect.DeepEqual(got, want) {
			t.Fatalf("oidA:\ngot  %+v\nwant %+v", got, want)
		}
		if got, want := list(""), []*llgate.Report{noContent(r0), noContent(r1), noContent(rb)}; !reflect.DeepEqual(got, want) {
			t.Fatalf("all:\ngot  %+v\nwant %+v", got, want)
		}
		if got := get(r1.Name); !reflect.DeepEqual(got, r1) {
			t.Fatalf("Report:\ngot  %+v\nwant %+v", got, r1)
		}

		// Put replaces a report of the same name.
		r1b := &llgate.Report{Name: r1.Name, OidPartner: oidA, Size: 5, Content: []byte("again"), CreatedAt: at(time.Hour)}
		update(t, s, func(tx llgate.Tx) error { return tx.PutReport(ctx, r1b) })
		if got := get(r1.Name); !reflect.DeepEqual(got, r1b) {
			t.Fatalf("after second put:\ngot  %+v\nwant %+v", got, r1b)
		}
		if got := list(oidA); len(got) != 2 {
			t.Fatalf("after second put: got %d reports, want 2", len(got))
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := parallel(t, open)
		err := s.View(t.Context(), func(tx llgate.Tx) error {
			_, err := tx.Report(t.Context(), "missing.txt")
			return err
		})
		if !errors.Is(err, llgate.ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})
}
