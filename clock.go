package llgate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// settingClockOffset is where the sandbox clock's offset lives, in
// milliseconds, so replicas share it and it survives restarts.
const settingClockOffset = "clock_offset_ms"

// SandboxClock is wall time plus an offset kept in the store. The offset only
// grows: the sandbox clock moves forward, never back.
type SandboxClock struct {
	store  Store
	wall   func() time.Time
	offset atomic.Int64 // milliseconds
}

// NewSandboxClock loads the offset from the store. wall is time.Now when nil.
func NewSandboxClock(ctx context.Context, store Store, wall func() time.Time) (*SandboxClock, error) {
	if wall == nil {
		wall = time.Now
	}
	c := &SandboxClock{store: store, wall: wall}
	if err := c.Sync(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Now returns the sandbox time in UTC.
func (c *SandboxClock) Now() time.Time {
	return c.wall().Add(time.Duration(c.offset.Load()) * time.Millisecond).UTC()
}

// Offset returns how far the sandbox clock is ahead of wall time.
func (c *SandboxClock) Offset() time.Duration {
	return time.Duration(c.offset.Load()) * time.Millisecond
}

// Sync reads the offset another replica may have moved.
func (c *SandboxClock) Sync(ctx context.Context) error {
	var ms int64
	err := c.store.View(ctx, func(tx Tx) error {
		var err error
		ms, err = readOffset(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("read clock offset: %w", err)
	}
	c.raise(ms)
	return nil
}

// Advance moves the clock forward by d (d > 0) for every replica and returns
// the new time.
func (c *SandboxClock) Advance(ctx context.Context, d time.Duration) (time.Time, error) {
	if d <= 0 {
		return time.Time{}, errors.New("advance must be positive")
	}
	var ms int64
	err := c.store.Update(ctx, func(tx Tx) error {
		cur, err := readOffset(ctx, tx)
		if err != nil {
			return err
		}
		ms = cur + d.Milliseconds()
		return tx.PutSetting(ctx, settingClockOffset, []byte(strconv.FormatInt(ms, 10)))
	})
	if err != nil {
		return time.Time{}, err
	}
	c.raise(ms)
	return c.Now(), nil
}

// raise sets the offset to ms unless it is already further ahead.
func (c *SandboxClock) raise(ms int64) {
	for {
		cur := c.offset.Load()
		if ms <= cur || c.offset.CompareAndSwap(cur, ms) {
			return
		}
	}
}

func readOffset(ctx context.Context, tx Tx) (int64, error) {
	b, err := tx.Setting(ctx, settingClockOffset)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(string(b), 10, 64)
}
