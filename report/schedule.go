package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	llgate "github.com/llgate/llgate"
)

// dueHour is when a day's files are due, China time, the next morning
// (transaction-report.md: "at 9:00 am (UTC +8) every day").
const dueHour = 9

// maxDaysPerRun bounds one RunDue per merchant, so a big clock jump or a
// merchant created long ago is caught up over several calls.
const maxDaysPerRun = 60

// pollCap is the longest Loop waits without looking at the clock again: the
// sandbox clock can jump at any moment.
const pollCap = time.Second

// markerPrefix names the setting that holds, per merchant, the last day
// (yyyyMMdd) whose files are all written.
const markerPrefix = "reports_done:"

// RunDue writes, for every merchant, every file that is due and not yet
// written: day D's detail and summary from 09:00 China time on D+1, month
// M's detail file with the files of M's last day. It starts on the China day
// the merchant was created and, after that, the day after the merchant's
// progress marker. A day without activity gets its files too. It writes at
// most maxDaysPerRun days per merchant and returns how many files it wrote;
// call it again until it returns 0.
//
// Replicas may run it together: both may build a file, with the same bytes,
// and the marker only moves forward.
func (g *Generator) RunDue(ctx context.Context) (int, error) {
	last := lastDueDay(g.Clock.Now())
	var merchants []*llgate.Merchant
	err := g.Store.View(ctx, func(tx llgate.Tx) error {
		var err error
		merchants, err = tx.Merchants(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reports: %w", err)
	}
	written := 0
	var errs []error
	for _, m := range merchants {
		n, err := g.runMerchant(ctx, m, last)
		written += n
		if err != nil {
			errs = append(errs, fmt.Errorf("reports of %s: %w", m.OidPartner, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return written, errors.Join(errs...)
}

// runMerchant writes one merchant's due files, oldest day first, each day's
// files and the marker in one transaction.
func (g *Generator) runMerchant(ctx context.Context, m *llgate.Merchant, last time.Time) (int, error) {
	oid := m.OidPartner
	day := llgate.ChinaDay(m.CreatedAt)
	done, err := g.marker(ctx, oid)
	if err != nil {
		return 0, err
	}
	if !done.IsZero() && !done.Before(day) {
		day = done.AddDate(0, 0, 1)
	}
	n := 0
	for i := 0; i < maxDaysPerRun && !day.After(last); i++ {
		detail, summary, err := g.Build(ctx, oid, day)
		if err != nil {
			return n, err
		}
		files := []file{{DailyName(oid, day), detail}, {SummaryName(oid, day), summary}}
		next := day.AddDate(0, 0, 1)
		if next.Day() == 1 { // the month's last day: its file is due now too
			month, err := g.BuildMonth(ctx, oid, day)
			if err != nil {
				return n, err
			}
			files = append(files, file{MonthlyName(oid, day), month})
		}
		if err := g.put(ctx, oid, files, llgate.ChinaDate(day)); err != nil {
			return n, err
		}
		n += len(files)
		day = next
	}
	return n, nil
}

// marker returns the last day whose files are written, or the zero time. A
// marker whose summary file is gone (a reset deleted the merchant's
// reports) counts as none, so the files are written again.
func (g *Generator) marker(ctx context.Context, oid string) (time.Time, error) {
	var done time.Time
	err := g.Store.View(ctx, func(tx llgate.Tx) error {
		done = time.Time{}
		b, err := tx.Setting(ctx, markerPrefix+oid)
		if errors.Is(err, llgate.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		d, err := time.ParseInLocation("20060102", string(b), llgate.ChinaTime)
		if err != nil {
			return nil // unreadable: start again, the files come out the same
		}
		if _, err := tx.Report(ctx, SummaryName(oid, d)); errors.Is(err, llgate.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		done = d
		return nil
	})
	return done, err
}

// advanceMarker sets the merchant's marker to day (yyyyMMdd) unless it is
// already further on, at a day whose summary file exists (the marker and
// the day's files commit together, so only a reset separates them).
// InsertSetting first, so that two replicas creating the marker together end
// up locking one row.
func advanceMarker(ctx context.Context, tx llgate.Tx, oid, day string) error {
	key := markerPrefix + oid
	ok, err := tx.InsertSetting(ctx, key, []byte(day))
	if err != nil || ok {
		return err
	}
	b, err := tx.Setting(ctx, key)
	if err != nil {
		return err
	}
	if cur, err := time.ParseInLocation("20060102", string(b), llgate.ChinaTime); err == nil && string(b) >= day {
		_, err := tx.Report(ctx, SummaryName(oid, cur))
		if err == nil || !errors.Is(err, llgate.ErrNotFound) {
			return err
		}
	}
	return tx.PutSetting(ctx, key, []byte(day))
}

// lastDueDay is the last China day whose files are due at now.
func lastDueDay(now time.Time) time.Time {
	return llgate.ChinaDay(now.In(llgate.ChinaTime).Add(-dueHour*time.Hour)).AddDate(0, 0, -1)
}

// nextDue is the first due time after now.
func nextDue(now time.Time) time.Time {
	return lastDueDay(now).AddDate(0, 0, 2).Add(dueHour * time.Hour)
}

// Loop runs RunDue until nothing is due, then waits for the next 09:00
// China time, a wake signal, or at most a second (the sandbox clock can
// jump), until ctx ends. Errors are logged and retried on the next pass.
func (g *Generator) Loop(ctx context.Context, wake <-chan struct{}) {
	logger := g.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for ctx.Err() == nil {
		now := g.Clock.Now()
		for ctx.Err() == nil {
			n, err := g.RunDue(ctx)
			if err != nil && ctx.Err() == nil {
				logger.Warn("reports", "err", err.Error())
			}
			if n == 0 {
				break
			}
		}
		if g.idle != nil {
			g.idle(now)
		}
		now = g.Clock.Now()
		t := time.NewTimer(max(min(nextDue(now).Sub(now), pollCap), 0))
		select {
		case <-ctx.Done():
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}
