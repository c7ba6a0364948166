// Package pgtest opens throw-away PostgreSQL stores for tests, each in a
// fresh schema dropped when the test ends, in the database named by
// $LLGATE_TEST_POSTGRES (skipped without it). A package of its own, so that
// the server binary never links package testing.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/llgate/llgate/postgres"
)

// Env names the environment variable holding the URL of a PostgreSQL
// database that tests may create schemas in.
const Env = "LLGATE_TEST_POSTGRES"

// Open opens a store in a fresh schema of the database named by
// $LLGATE_TEST_POSTGRES and drops the schema when the test ends. Without the
// variable the test is skipped.
func Open(tb testing.TB) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), URL(tb))
	if err != nil {
		tb.Fatalf("postgres.Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("postgres close: %v", err)
		}
	})
	return s
}

// URL creates a fresh schema, to be dropped when tb ends, and returns the
// URL of $LLGATE_TEST_POSTGRES with that schema as its search_path.
func URL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(Env)
	if base == "" {
		tb.Skip(Env + " not set; skipping PostgreSQL tests")
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", Env, err)
	}

	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	tb.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(tb.Context(), `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("postgres: create schema: %v", err)
	}
	tb.Cleanup(func() {
		// tb.Context is already cancelled when cleanups run.
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("postgres: drop schema %s: %v", schema, err)
		}
	})

	// pgx sends parameters it does not know, like search_path, to the server
	// as run-time parameters of every connection.
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
