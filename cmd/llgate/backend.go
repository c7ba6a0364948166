package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/postgres"
	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/sqlite"
	"github.com/llgate/llgate/vault"
)

// backend is the store and vault every command that touches data opens.
type backend struct {
	store llgate.Store
	vault *vault.Vault
	clock llgate.Clock
	sbox  *llgate.SandboxClock // nil in gateway mode
}

func openBackend(ctx context.Context, c *config, logger *slog.Logger) (*backend, error) {
	var store llgate.Store
	var err error
	if isPostgres(c.DB) {
		store, err = postgres.Open(ctx, c.DB)
	} else {
		store, err = sqlite.Open(ctx, c.DB)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	master, err := masterKey(c, logger)
	if err != nil {
		store.Close()
		return nil, err
	}
	v, err := vault.New(store, master)
	if err != nil {
		store.Close()
		return nil, err
	}
	b := &backend{store: store, vault: v}
	if c.Mode == string(llgate.ModeSandbox) {
		if b.sbox, err = llgate.NewSandboxClock(ctx, store, nil); err != nil {
			store.Close()
			return nil, err
		}
		b.clock = b.sbox
	} else {
		b.clock = llgate.ClockFunc(func() time.Time { return time.Now().UTC() })
	}
	return b, nil
}

func (b *backend) merchants() *llgate.Merchants {
	return &llgate.Merchants{Store: b.store, Vault: b.vault, Clock: b.clock, ParseKey: protocol.ParsePublicKey}
}

// masterKey finds the key that wraps every data key. It never lives in the
// database: LLGATE_MASTER_KEY, --master-key-file, or (SQLite only) a file
// created next to the database.
func masterKey(c *config, logger *slog.Logger) ([]byte, error) {
	switch {
	case c.MasterKey != "":
		return vault.ParseMasterKey(c.MasterKey)
	case c.MasterKeyFile != "" && isPostgres(c.DB):
		// Replicas must share one key: never invent one for PostgreSQL.
		b, err := os.ReadFile(c.MasterKeyFile)
		if err != nil {
			return nil, fmt.Errorf("read master key: %w", err)
		}
		return vault.ParseMasterKey(string(b))
	case c.MasterKeyFile != "":
		k, created, err := vault.LoadOrCreateMasterKeyFile(c.MasterKeyFile)
		if created {
			logger.Warn("created a new master key; keep it safe and out of the database's backups", "file", c.MasterKeyFile)
		}
		return k, err
	case isPostgres(c.DB):
		return nil, fmt.Errorf("a postgres:// database needs --master-key-file or LLGATE_MASTER_KEY (every replica must use the same key)")
	case c.DB == ":memory:":
		return vault.GenerateMasterKey(), nil
	default:
		path := c.DB + ".masterkey"
		k, created, err := vault.LoadOrCreateMasterKeyFile(path)
		if created {
			logger.Warn("sandbox: created a master key next to the database; use --master-key-file for anything real", "file", path)
		}
		return k, err
	}
}
