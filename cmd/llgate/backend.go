package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/httpapi"
	"github.com/llgate/llgate/internal/app"
	"github.com/llgate/llgate/postgres"
	"github.com/llgate/llgate/sqlite"
	"github.com/llgate/llgate/vault"
)

// openStore opens the database c.DB names: a PostgreSQL URL, or a SQLite
// file.
func openStore(ctx context.Context, c *config) (llgate.Store, error) {
	timeout, _, err := c.timeouts()
	if err != nil {
		return nil, err
	}
	var store llgate.Store
	if isPostgres(c.DB) {
		store, err = postgres.OpenWith(ctx, c.DB, postgres.Options{Timeout: timeout})
	} else {
		store, err = sqlite.Open(ctx, c.DB)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return store, nil
}

// openApp opens the database named by the config, finds the master key and
// wires llgate over them. The caller closes the app and then the store.
func openApp(ctx context.Context, c *config, logger *slog.Logger, token string) (*app.App, error) {
	_, requestTimeout, err := c.timeouts()
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return nil, err
	}
	master, err := masterKey(c, logger)
	if err != nil {
		store.Close()
		return nil, err
	}
	platformKey, err := loadPlatformKey(c)
	if err != nil {
		store.Close()
		return nil, err
	}
	proxies, err := httpapi.ParseTrustedProxies(c.TrustedProxies)
	if err != nil {
		store.Close()
		return nil, err
	}
	merchantRate, _ := parseRate(c.RatePerMerchant) // validated
	addrRate, _ := parseRate(c.RatePerAddr)
	a, err := app.New(ctx, app.Options{
		Mode: llgate.Mode(c.Mode), Store: store, MasterKey: master, PlatformKey: platformKey,
		AdminToken: token, Limits: c.Throttle == "on", CheckHMAC: c.EnvelopeHMAC == "check",
		SMSKind: c.SMS, SMSURL: c.SMSURL, SMSTemplate: c.SMSTemplate, Logger: logger, TrustedProxies: proxies,
		MerchantRate: merchantRate, AddrRate: addrRate, RequestTimeout: requestTimeout,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	return a, nil
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
