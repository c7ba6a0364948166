package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/llgate/llgate/vault"
)

// runKeysRotate gives every data-key owner a new key version and re-seals
// every value under it, printing a line per committed batch. Servers may run
// meanwhile; a rotation that was interrupted continues where it stopped when
// run again.
func runKeysRotate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := defaultConfig()
	fs := c.newFlagSet("llgate keys rotate", getenv, stderr, storeFlags...)
	batch := fs.Int("batch", 500, "values listed and re-sealed per transaction")
	settle := fs.Duration("settle", 2*vault.RefreshInterval,
		"how long after the new keys the final pass may start, so running servers have switched to them (0: no wait)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if err := mustExist(c.DB, false); err != nil {
		return err
	}
	if *batch < 1 {
		return fmt.Errorf("--batch must be positive")
	}
	logger := newLogger(stderr, c.LogLevel)

	store, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer store.Close()
	master, err := masterKey(&c, logger)
	if err != nil {
		return err
	}
	v, err := vault.New(store, master)
	clear(master)
	if err != nil {
		return err
	}
	rot := &vault.Rotation{
		Vault: v, Batch: *batch, Settle: *settle,
		Progress: func(s vault.RotationStats) {
			fmt.Fprintf(stdout, "pass %d: %d rewritten (%s), %d scanned, %d left to concurrent writers\n",
				s.Pass, s.Total(), counts(s.Rewritten), s.Scanned, s.Lost)
		},
	}
	if rot.Settle == 0 {
		rot.Settle = -1 // Rotation's zero is its default
	}
	start := time.Now()
	s, err := rot.Run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rotated: %d values re-sealed (%s), %d scanned in %d passes, %s\n",
		s.Total(), counts(s.Rewritten), s.Scanned, s.Pass, time.Since(start).Round(time.Millisecond))
	return nil
}

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
