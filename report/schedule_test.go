package report

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
)

func TestDue(t *testing.T) {
	for _, tc := range []struct{ now, last, next string }{
		{"2024-03-05 08:59:59.999", "2024-03-03", "2024-03-05 09:00:00"},
		{"2024-03-05 09:00:00.000", "2024-03-04", "2024-03-06 09:00:00"},
		{"2024-03-05 23:59:59.000", "2024-03-04", "2024-03-06 09:00:00"},
		{"2024-03-06 00:00:00.000", "2024-03-04", "2024-03-06 09:00:00"},
		{"2024-03-01 09:00:00.000", "2024-02-29", "2024-03-02 09:00:00"},
	} {
		now := cst(t, tc.now)
		if got, want := lastDueDay(now).Format("2006-01-02"), tc.last; got != want {
			t.Errorf("lastDueDay(%s) = %s, want %s", tc.now, got, want)
		}
		if got, want := nextDue(now).In(llgate.ChinaTime).Format("2006-01-02 15:04:05"), tc.next; got != want {
			t.Errorf("nextDue(%s) = %s, want %s", tc.now, got, want)
		}
	}
}

// names lists the files due for oidA from day first to day last (China
// dates, inclusive): every day's two files and every ended month's file.
func names(t *testing.T, first, last string) []string {
	t.Helper()
	d := cst(t, first+" 00:00:00.000")
	end := cst(t, last+" 00:00:00.000")
	var out []string
	for ; !d.After(end); d = d.AddDate(0, 0, 1) {
		out = append(out, DailyName(oidA, d), SummaryName(oidA, d))
		if d.In(llgate.ChinaTime).AddDate(0, 0, 1).Day() == 1 {
			out = append(out, MonthlyName(oidA, d))
		}
	}
	slices.Sort(out)
	return out
}

func runDue(t *testing.T, g *Generator) int {
	t.Helper()
	n, err := g.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRunDue(t *testing.T) {
	forEachStore(t, func(t *testing.T, store llgate.Store) {
		e := newEnv(t, store)
		e.merchant(t, oidA, cst(t, "2024-03-04 10:00:00.000"))
		e.payment(t, &llgate.Order{
			OidPaybill: "2024030400000001", OidPartner: oidA, NoOrder: "ORDER-1", DtOrder: "20240304120000",
			BusiPartner: "101001", Amount: 1234, PayType: "2",
			PaidAt: cst(t, "2024-03-04 12:00:01.000"), SettleDate: "20240304",
		}, "first day")

		e.clock.Set(cst(t, "2024-03-05 08:59:59.999"))
		if got, want := runDue(t, e.gen), 0; got != want {
			t.Fatalf("before 09:00: wrote %d files, want %d", got, want)
		}
		if got := e.stored(t, oidA); len(got) != 0 {
			t.Fatalf("before 09:00: stored %v, want none", slices.Sorted(maps.Keys(got)))
		}

		e.clock.Set(cst(t, "2024-03-05 09:00:00.000"))
		if got, want := runDue(t, e.gen), 2; got != want {
			t.Fatalf("at 09:00: wrote %d files, want %d", got, want)
		}
		got := e.stored(t, oidA)
		if got, want := slices.Sorted(maps.Keys(got)), names(t, "2024-03-04", "2024-03-04"); !slices.Equal(got, want) {
			t.Fatalf("at 09:00: stored %v, want %v", got, want)
		}
		if got, want := got[SummaryName(oidA, cst(t, "2024-03-04 00:00:00.000"))], "1|1|12.34|0||0|\n"; got != want {
			t.Errorf("summary = %q, want %q", got, want)
		}
		if got, want := runDue(t, e.gen), 0; got != want {
			t.Errorf("again: wrote %d files, want %d", got, want)
		}

		// 40 days later: 03-05 .. 04-13 and March's file.
		e.clock.Set(cst(t, "2024-04-14 09:00:00.000"))
		if got, want := runDue(t, e.gen), 81; got != want {
			t.Fatalf("after the jump: wrote %d files, want %d", got, want)
		}
		if got, want := runDue(t, e.gen), 0; got != want {
			t.Errorf("again: wrote %d files, want %d", got, want)
		}
		all := e.stored(t, oidA)
		if got, want := slices.Sorted(maps.Keys(all)), names(t, "2024-03-04", "2024-04-13"); !slices.Equal(got, want) {
			t.Fatalf("stored %v, want %v", got, want)
		}
		if got, want := all[MonthlyName(oidA, cst(t, "2024-03-01 00:00:00.000"))], header+
			"ORDER-1|201408071000001539|20240304 12:00:00|101001|2024030400000001|20240304|CNY|12.34|CNY|12.34|CNY|12.34|1.00|0|20240304 12:00:01|0.00|MPAY|2|first day\n"; got != want {
			t.Errorf("March:\n%s\nwant:\n%s", got, want)
		}
		if got, want := all[DailyName(oidA, cst(t, "2024-04-13 00:00:00.000"))], header; got != want {
			t.Errorf("quiet day = %q, want %q", got, want)
		}

		t.Run("RebuildSameBytes", func(t *testing.T) {
			e.update(t, func(ctx context.Context, tx llgate.Tx) error {
				return tx.PutSetting(ctx, markerPrefix+oidA, []byte("garbage"))
			})
			if got, want := runDue(t, e.gen), 83; got != want {
				t.Fatalf("without a marker: wrote %d files, want %d", got, want)
			}
			if got := e.stored(t, oidA); !maps.Equal(got, all) {
				t.Error("rebuilt files differ")
			}
			if got, want := runDue(t, e.gen), 0; got != want {
				t.Errorf("again: wrote %d files, want %d", got, want)
			}
		})

		t.Run("AfterReset", func(t *testing.T) {
			e.update(t, func(ctx context.Context, tx llgate.Tx) error { return tx.Reset(ctx, oidA) })
			if got, want := runDue(t, e.gen), 83; got != want {
				t.Fatalf("after a reset: wrote %d files, want %d", got, want)
			}
			if got, want := runDue(t, e.gen), 0; got != want {
				t.Errorf("again: wrote %d files, want %d", got, want)
			}
			if got, want := slices.Sorted(maps.Keys(e.stored(t, oidA))), names(t, "2024-03-04", "2024-04-13"); !slices.Equal(got, want) {
				t.Fatalf("stored %v, want %v", got, want)
			}
		})
	})
}

func TestRunDueBounded(t *testing.T) {
	forEachStore(t, func(t *testing.T, store llgate.Store) {
		e := newEnv(t, store)
		e.merchant(t, oidA, cst(t, "2024-01-01 00:00:00.000"))
		// 100 days due: 01-01 .. 04-09, and January, February, March.
		e.clock.Set(cst(t, "2024-04-10 09:00:00.000"))
		// The first 60 days: 01-01 .. 02-29 with January's and February's files.
		for i, want := range []int{2*maxDaysPerRun + 2, 2*(100-maxDaysPerRun) + 1, 0} {
			if got := runDue(t, e.gen); got != want {
				t.Fatalf("call %d: wrote %d files, want %d", i+1, got, want)
			}
		}
		if got, want := slices.Sorted(maps.Keys(e.stored(t, oidA))), names(t, "2024-01-01", "2024-04-09"); !slices.Equal(got, want) {
			t.Fatalf("stored %v, want %v", got, want)
		}
	})
}

// TestRunDueReplicas runs two generators together, as two replicas would.
func TestRunDueReplicas(t *testing.T) {
	forEachStore(t, func(t *testing.T, store llgate.Store) {
		e := newEnv(t, store)
		e.merchant(t, oidA, cst(t, "2024-01-01 00:00:00.000"))
		for i := range 2 {
			e.merchant(t, "20140807100000200"+string(rune('0'+i)), cst(t, "2024-02-10 00:00:00.000"))
		}
		e.clock.Set(cst(t, "2024-04-10 09:00:00.000"))
		other := &Generator{Store: store, Vault: e.vault, Clock: e.clock}
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, g := range []*Generator{e.gen, other} {
			wg.Go(func() {
				for {
					n, err := g.RunDue(context.Background())
					if err != nil {
						errs <- err
						return
					}
					if n == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got, want := slices.Sorted(maps.Keys(e.stored(t, oidA))), names(t, "2024-01-01", "2024-04-09"); !slices.Equal(got, want) {
			t.Fatalf("stored %v, want %v", got, want)
		}
		ctx := context.Background()
		err := store.View(ctx, func(tx llgate.Tx) error {
			b, err := tx.Setting(ctx, markerPrefix+oidA)
			if got, want := string(b), "20240409"; got != want {
				t.Errorf("marker = %q, want %q", got, want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := runDue(t, e.gen), 0; got != want {
			t.Errorf("afterwards: wrote %d files, want %d", got, want)
		}
	})
}

// TestLoop checks that files come due without any call but the loop's own:
// the clock jumps, the loop wakes and writes every missed file.
func TestLoop(t *testing.T) {
	forEachStore(t, func(t *testing.T, store llgate.Store) {
		e := newEnv(t, store)
		e.merchant(t, oidA, cst(t, "2024-03-04 10:00:00.000"))
		e.clock.Set(cst(t, "2024-03-05 08:59:00.000"))

		ctx, cancel := context.WithCancel(context.Background())
		passes := make(chan time.Time)
		e.gen.idle = func(now time.Time) {
			select {
			case passes <- now:
			case <-ctx.Done():
			}
		}
		wake := make(chan struct{}, 1)
		stopped := make(chan struct{})
		go func() { e.gen.Loop(ctx, wake); close(stopped) }()
		defer func() { cancel(); <-stopped }()

		// passed waits for a pass of the loop that started at or after at.
		passed := func(at time.Time) {
			t.Helper()
			timeout := time.NewTimer(30 * time.Second)
			defer timeout.Stop()
			for {
				select {
				case now := <-passes:
					if !now.Before(at) {
						return
					}
				case <-timeout.C:
					t.Fatalf("no pass of the loop at %v", at)
				}
			}
		}
		passed(e.clock.Now())
		if got := e.stored(t, oidA); len(got) != 0 {
			t.Fatalf("before 09:00: stored %v, want none", slices.Sorted(maps.Keys(got)))
		}

		at := cst(t, "2024-04-14 09:00:00.000")
		e.clock.Set(at)
		wake <- struct{}{}
		passed(at)
		if got, want := slices.Sorted(maps.Keys(e.stored(t, oidA))), names(t, "2024-03-04", "2024-04-13"); !slices.Equal(got, want) {
			t.Fatalf("stored %v, want %v", got, want)
		}

		// Without a wake signal the poll cap notices the next jump.
		at = cst(t, "2024-05-02 09:00:00.000")
		e.clock.Set(at)
		passed(at)
		if got, want := slices.Sorted(maps.Keys(e.stored(t, oidA))), names(t, "2024-03-04", "2024-05-01"); !slices.Equal(got, want) {
			t.Fatalf("stored %v, want %v", got, want)
		}
	})
}
