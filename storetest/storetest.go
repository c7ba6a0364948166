// Package storetest is the conformance suite of llgate.Store. Every engine
// runs the same tests against a real database:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(tb testing.TB) llgate.Store { return sqlitetest.Open(tb) })
//	}
//
// Each subtest opens its own fresh store and runs in parallel with the others.
package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/llgate/llgate"
)

// Opener returns a fresh, empty store that is closed when tb ends.
type Opener = func(tb testing.TB) llgate.Store

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	t.Run("Merchant", func(t *testing.T) { testMerchant(t, open) })
	t.Run("Setting", func(t *testing.T) { testSetting(t, open) })
	t.Run("DataKey", func(t *testing.T) { testDataKey(t, open) })
	t.Run("RequestLog", func(t *testing.T) { testRequestLog(t, open) })
	t.Run("SMS", func(t *testing.T) { testSMS(t, open) })
	t.Run("Notification", func(t *testing.T) { testNotification(t, open) })
	t.Run("Report", func(t *testing.T) { testReport(t, open) })
	t.Run("User", func(t *testing.T) { testUser(t, open) })
	t.Run("Agreement", func(t *testing.T) { testAgreement(t, open) })
	t.Run("Challenge", func(t *testing.T) { testChallenge(t, open) })
	t.Run("Cardholder", func(t *testing.T) { testCardholder(t, open) })
	t.Run("SMSSend", func(t *testing.T) { testSMSSend(t, open) })
	t.Run("Velocity", func(t *testing.T) { testVelocity(t, open) })
	t.Run("Order", func(t *testing.T) { testOrder(t, open) })
	t.Run("Refund", func(t *testing.T) { testRefund(t, open) })
	t.Run("Preauth", func(t *testing.T) { testPreauth(t, open) })
	t.Run("Ledger", func(t *testing.T) { testLedger(t, open) })
	t.Run("Payout", func(t *testing.T) { testPayout(t, open) })
	t.Run("Browse", func(t *testing.T) { testBrowse(t, open) })
	t.Run("Checkout", func(t *testing.T) { testCheckout(t, open) })
	t.Run("Reset", func(t *testing.T) { testReset(t, open) })
	t.Run("Tx", func(t *testing.T) { testTx(t, open) })
	t.Run("Concurrency", func(t *testing.T) {
		testConcurrency(t, open)
		testBindingConcurrency(t, open)
		testPaymentConcurrency(t, open)
		testVelocityConcurrency(t, open)
	})
}

// parallel marks t parallel and opens its store.
func parallel(t *testing.T, open Opener) llgate.Store {
	t.Helper()
	t.Parallel()
	return open(t)
}

// update runs fn in s.Update and fails the test on error.
func update(t testing.TB, s llgate.Store, fn func(tx llgate.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in s.View and fails the test on error.
func view(t testing.TB, s llgate.Store, fn func(tx llgate.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// t0 is the suite's reference time: UTC, whole milliseconds, as stored.
var t0 = time.Date(2026, 11, 22, 9, 30, 15, 123_000_000, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	oidA = "201408071000001539"
	oidB = "201408071000001540"
	oidC = "201408071000001541"
)

// everyFieldSet fails t unless every field of the struct v points to is
// set, so that a field added to a stored type fails until its fixture, and
// then the store, carry it.
func everyFieldSet(t *testing.T, v any) {
	t.Helper()
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		if rv.Field(i).IsZero() {
			t.Errorf("fixture %s: field %s is not set", rv.Type(), rv.Type().Field(i).Name)
		}
	}
}

// everyFieldDiffers fails t unless the structs a and b point to differ in
// every field but the named ones, so that an update to b from a proves that
// every other column is written.
func everyFieldDiffers(t *testing.T, a, b any, except ...string) {
	t.Helper()
	ra, rb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	for i := range ra.NumField() {
		name := ra.Type().Field(i).Name
		if slices.Contains(except, name) {
			continue
		}
		if reflect.DeepEqual(ra.Field(i).Interface(), rb.Field(i).Interface()) {
			t.Errorf("fixtures %s: field %s does not change", ra.Type(), name)
		}
	}
}
