// Package faulttest drives real llgate processes through faults: it builds
// the binary, starts and SIGKILLs `llgate serve`, runs a mixed merchant load
// through the Go SDK from several clients (and hosted checkout payments
// through the cashier pages, as a browser drives them), keeps a ledger of
// every answer the clients received, receives and checks the
// notifications, and re-verifies the ledger against the server after every
// fault. The crash test (scripts/crashtest) and the replicas test
// (e2e/replicas_test.go) share it.
//
// An answer a client received is acknowledged: what it says must hold from
// then on. A call that failed at the transport level (the server was killed
// while it ran) is unknown: it may or may not have taken effect, but either
// way the state it left must be consistent.
package faulttest
