package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/report"
)

const reportUsage = "usage: llgate report --merchant OID --date yyyyMMdd|yyyyMM [--out DIR] [--db ...]"

// runReport builds a merchant's report files on demand from the database,
// stores them as the 09:00 run does, and writes them to --out (or prints the
// detail file). yyyyMMdd gives the day's detail and summary files, yyyyMM
// the month's detail file. A day or month still under way gives the files
// as they stand; the scheduled run replaces them once they are due.
func runReport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := defaultConfig()
	fs := c.newFlagSet("llgate report", getenv, stderr, storeFlags...)
	var oid, date, out string
	fs.StringVar(&oid, "merchant", "", "oid_partner of the merchant")
	fs.StringVar(&date, "date", "", "yyyyMMdd: the day's detail and summary files; yyyyMM: the month's detail file")
	fs.StringVar(&out, "out", "", "directory to write the files to (default: print the detail file to stdout)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if oid == "" || date == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, reportUsage)
		return errUsage
	}
	var layout string
	switch len(date) {
	case 8:
		layout = "20060102"
	case 6:
		layout = "200601"
	}
	start, err := time.ParseInLocation(layout, date, llgate.ChinaTime)
	if layout == "" || err != nil {
		return fmt.Errorf("--date must be yyyyMMdd or yyyyMM, not %q", date)
	}
	if err := mustExist(c.DB, false); err != nil {
		return err
	}
	a, err := openApp(ctx, &c, newLogger(stderr, c.LogLevel), "")
	if err != nil {
		return err
	}
	defer a.Store.Close()
	defer a.Close()
	err = a.Store.View(ctx, func(tx llgate.Tx) error {
		_, err := tx.Merchant(ctx, oid)
		return err
	})
	if errors.Is(err, llgate.ErrNotFound) {
		return fmt.Errorf("no merchant %s", oid)
	}
	if err != nil {
		return err
	}
	if start.After(a.Clock.Now()) {
		return fmt.Errorf("%s has not started yet (now %s China time)", date, a.Clock.Now().In(llgate.ChinaTime).Format("2006-01-02 15:04:05"))
	}

	g := &report.Generator{Store: a.Store, Vault: a.Vault, Clock: a.Clock}
	type file struct {
		name    string
		content []byte
	}
	var files []file
	if layout == "200601" {
		month, err := g.BuildMonth(ctx, oid, start)
		if err != nil {
			return err
		}
		files = []file{{report.MonthlyName(oid, start), month}}
	} else {
		detail, summary, err := g.Build(ctx, oid, start)
		if err != nil {
			return err
		}
		files = []file{{report.DailyName(oid, start), detail}, {report.SummaryName(oid, start), summary}}
	}
	for _, f := range files {
		if err := g.Save(ctx, f.name, oid, f.content); err != nil {
			return err
		}
	}
	if out == "" {
		_, err := stdout.Write(files[0].content)
		return err
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return err
	}
	for _, f := range files {
		path := filepath.Join(out, f.name)
		// Reports hold info_order, personal data: owner-only.
		if err := os.WriteFile(path, f.content, 0o600); err != nil {
			return err
		}
		fmt.Fprintln(stdout, path)
	}
	return nil
}
