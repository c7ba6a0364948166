// Package e2e holds end-to-end tests: the Go SDK against the fully wired
// server (real store, vault, issuer, SMS outbox) over loopback, on SQLite
// and on PostgreSQL.
package e2e
