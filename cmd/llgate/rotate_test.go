package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/llgate/llgate/postgres/pgtest"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/sqlite"
	"github.com/llgate/llgate/storetest"
	"github.com/llgate/llgate/vault"
)

// rotateChildEnv makes TestKeysRotateChild run `llgate keys rotate` in the
// child process TestKeysRotateCrash starts and kills.
const rotateChildEnv = "LLGATE_TEST_ROTATE_CHILD"

// TestKeysRotateChild is not a test: it is the child process of
// TestKeysRotateCrash. Its stdout sleeps after every line, so the parent
// can kill it while the rotation is half done.
func TestKeysRotateChild(t *testing.T) {
	if os.Getenv(rotateChildEnv) == "" {
		t.Skip("the child process of TestKeysRotateCrash")
	}
	// --db and --master-key-file come from LLGATE_DB and
	// LLGATE_MASTER_KEY_FILE, as for an operator.
	err := run(context.Background(), []string{"keys", "rotate", "--batch", "10", "--settle", "0"},
		os.Getenv, slowWriter{os.Stdout, 100 * time.Millisecond}, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rotate:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

type slowWriter struct {
	w     io.Writer
	pause time.Duration
}

func (s slowWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	time.Sleep(s.pause)
	return n, err
}

// TestKeysRotateCrash kills `llgate keys rotate` half way, runs it again,
// and finds every sealed value on the new key version and opening to what
// was sealed.
func TestKeysRotateCrash(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		testRotateCrash(t, filepath.Join(t.TempDir(), "llgate.db"))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		testRotateCrash(t, postgresTestURL(t))
	})
}

func testRotateCrash(t *testing.T, db string) {
	ctx := t.Context()
	master := vault.GenerateMasterKey()
	keyFile := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(keyFile, []byte(vault.EncodeMasterKey(master)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store := mustOpenStore(t, db)
	want := seedStore(t, store, master, 40)
	store.Close()
	total := len(want)

	// Kill the child once it has committed a third of the values.
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeysRotateChild$")
	cmd.Env = append(os.Environ(), rotateChildEnv+"=1", "LLGATE_DB="+db, "LLGATE_MASTER_KEY_FILE="+keyFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	progress := regexp.MustCompile(`^pass \d+: (\d+) rewritten`)
	var reported int
	sc := bufio.NewScanner(out)
	for reported < total/3 && sc.Scan() {
		if m := progress.FindStringSubmatch(sc.Text()); m != nil {
			reported, _ = strconv.Atoi(m[1])
		}
	}
	if reported < total/3 {
		cmd.Wait()
		t.Fatalf("the child stopped after reporting %d of %d values; stderr: %s", reported, total, stderr.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, out)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: got %v, want killed; stderr: %s", err, stderr.String())
	}

	// Half done: some values on version 2, the others still on 1.
	store = mustOpenStore(t, db)
	onNew := 0
	for _, ct := range storetest.SealedValues(t, store) {
		if ver, _ := vault.KeyVersion(ct); ver == 2 {
			onNew++
		}
	}
	store.Close()
	if onNew < reported || onNew >= total {
		t.Fatalf("after the kill: %d of %d values on the new version, %d reported", onNew, total, reported)
	}
	t.Logf("killed with %d of %d values on the new version", onNew, total)

	// Restart to completion.
	var stdout bytes.Buffer
	err = run(ctx, []string{"keys", "rotate", "--db", db, "--master-key-file", keyFile, "--batch", "10", "--settle", "0"},
		func(string) string { return "" }, &stdout, &stdout)
	if err != nil {
		t.Fatalf("restart: %v\n%s", err, stdout.String())
	}
	final := regexp.MustCompile(`(?m)^rotated: (\d+) values re-sealed \(.*\), (\d+) scanned in (\d+) passes`).FindStringSubmatch(stdout.String())
	if final == nil {
		t.Fatalf("no summary line in:\n%s", stdout.String())
	}
	t.Logf("restart: %s", final[0])
	rewritten, _ := strconv.Atoi(final[1])
	scanned, _ := strconv.Atoi(final[2])
	if rewritten != total-onNew {
		t.Errorf("restart re-sealed %d values, want the %d left", rewritten, total-onNew)
	}
	// The restart continued from the saved cursor: a partial pass, then a
	// full one that finds nothing.
	if scanned >= 2*total {
		t.Errorf("restart scanned %d values, want fewer than two full passes (%d): it ignored the cursor", scanned, 2*total)
	}

	store = mustOpenStore(t, db)
	defer store.Close()
	v, err := vault.New(store, master)
	if err != nil {
		t.Fatal(err)
	}
	got := storetest.SealedValues(t, store)
	if len(got) != total {
		t.Fatalf("%d sealed values, want %d", len(got), total)
	}
	for ref, ct := range got {
		if ver, err := vault.KeyVersion(ct); err != nil || ver != 2 {
			t.Errorf("%+v: version %d, %v, want 2", ref, ver, err)
		}
		b, err := v.Open(ctx, ref.Owner, ref.Table, ref.Row, ct)
		if err != nil || string(b) != want[ref] {
			t.Errorf("%+v: opened %q, %v, want %q", ref, b, err, want[ref])
		}
	}
	err = store.View(ctx, func(tx llgate.Tx) error {
		versions, err := tx.(llgate.SealedTx).DataKeyVersions(ctx)
		if err != nil {
			return err
		}
		for owner, ver := range versions {
			if ver != 2 {
				t.Errorf("owner %q has version %d, want 2 (the restart must not add another)", owner, ver)
			}
		}
		b, err := tx.Setting(ctx, vault.SettingRotation)
		if err == nil && len(b) != 0 {
			t.Errorf("rotation state left behind: %s", b)
		}
		if errors.Is(err, llgate.ErrNotFound) {
			err = nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestKeysRotate(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		var out, errOut bytes.Buffer
		db := filepath.Join(t.TempDir(), "llgate.db")
		if err := run(t.Context(), []string{"keys", "rotate", "--db", db, "--settle", "0"}, noEnv, &out, &errOut); err == nil {
			t.Fatal("rotating a database that does not exist succeeded")
		}
		s, err := sqlite.Open(t.Context(), db) // an empty one
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if err := run(t.Context(), []string{"keys", "rotate", "--db", db, "--settle", "0"}, noEnv, &out, &errOut); err != nil {
			t.Fatalf("%v: %s", err, errOut.String())
		}
		if !strings.HasPrefix(out.String(), "rotated: 0 values") {
			t.Errorf("got %q", out.String())
		}
	})
	t.Run("ErrBatch", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(t.Context(), []string{"keys", "rotate", "--batch", "0"}, noEnv, &out, &out); err == nil {
			t.Error("--batch 0 accepted")
		}
	})
}

func mustOpenStore(t *testing.T, db string) llgate.Store {
	t.Helper()
	s, err := openStore(t.Context(), &config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seedStore writes n values into every sealed table, for three merchants
// and a platform, sealed as the application seals them, and returns their
// plaintexts.
func seedStore(t *testing.T, s llgate.Store, master []byte, n int) map[llgate.SealedRef]string {
	t.Helper()
	ctx := t.Context()
	v, err := vault.New(s, master)
	if err != nil {
		t.Fatal(err)
	}
	want := map[llgate.SealedRef]string{}
	seal := func(owner, table, column, row string) []byte {
		t.Helper()
		plain := fmt.Sprintf("%s|%s|%s|%s", owner, table, row, rand.Text())
		b, err := v.Seal(ctx, owner, table, row, []byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		want[llgate.SealedRef{Table: table, Column: column, Row: row, Owner: owner}] = plain
		return b
	}
	at := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	oids := []string{"201408071000001539", "201408071000002222", "201408071000003333"}
	scopes := []string{"m:" + oids[0], "m:" + oids[1], "p:mall", "p:shop"}
	var writes []func(llgate.Tx) error
	add := func(f func(llgate.Tx) error) { writes = append(writes, f) }
	for _, oid := range oids {
		m := &llgate.Merchant{OidPartner: oid, Name: oid, MD5Key: seal(oid, "merchants", "md5_key", oid), CreatedAt: at, UpdatedAt: at}
		add(func(tx llgate.Tx) error { return tx.InsertMerchant(ctx, m) })
	}
	pk := seal(llgate.OwnerSystem, "settings", "value", "platform_key")
	add(func(tx llgate.Tx) error { return tx.PutSetting(ctx, "platform_key", pk) })
	for i := range n {
		oid, scope := oids[i%len(oids)], scopes[i%len(scopes)]
		id := fmt.Sprintf("%06d", i)
		sms := &llgate.SMSMessage{ID: "sms" + id, OidPartner: oid, MobileFP: "fp", Sealed: seal(oid, llgate.TableSMS, "sealed", "sms"+id), SentAt: at}
		note := &llgate.Notification{ID: "ntf" + id, OidPartner: oid, Kind: llgate.NotifyPayment, URL: "http://shop/notify",
			Body: seal(oid, llgate.TableNotifications, "body", "ntf"+id), Status: llgate.NotifyPending, CreatedAt: at, UpdatedAt: at}
		report := &llgate.Report{Name: oid + "_" + id + ".txt", OidPartner: oid, Size: 10, CreatedAt: at,
			Content: seal(oid, llgate.TableReports, "content", oid+"_"+id+".txt")}
		agreement := &llgate.Agreement{NoAgree: "20261122" + id, Scope: scope, OidPartner: oid, UserID: "u" + id, CardFP: id,
			Sealed: seal(llgate.ScopeOwner(scope), llgate.TableAgreements, "sealed", "20261122"+id), Status: llgate.AgreementActive, CreatedAt: at}
		challenge := &llgate.Challenge{Token: "tok" + id, Kind: llgate.ChallengeBind, OidPartner: oid, Scope: scope, UserID: "u" + id,
			Sealed: seal(llgate.ScopeOwner(scope), llgate.TableChallenges, "sealed", "tok"+id), State: llgate.ChallengeLive, ExpiresAt: at, CreatedAt: at, UpdatedAt: at}
		order := &llgate.Order{OidPaybill: "20261122" + id + "00", OidPartner: oid, NoOrder: "order" + id, Scope: scope, Status: llgate.OrderWaiting,
			Sealed: seal(oid, llgate.TableOrders, "sealed", "20261122"+id+"00"), CreatedAt: at, UpdatedAt: at}
		add(func(tx llgate.Tx) error {
			return errors.Join(tx.InsertSMS(ctx, sms), tx.InsertNotification(ctx, note), tx.PutReport(ctx, report),
				tx.InsertAgreement(ctx, agreement), tx.InsertChallenge(ctx, challenge), tx.InsertOrder(ctx, order))
		})
	}
	err = s.Update(ctx, func(tx llgate.Tx) error {
		for _, w := range writes {
			if err := w(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// postgresTestURL returns the URL of a fresh schema in the database named by
// $LLGATE_TEST_POSTGRES, dropped when the test ends; the test is skipped
// without the variable. A child process needs the URL, not a Store.
func postgresTestURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv(pgtest.Env)
	if base == "" {
		t.Skip(pgtest.Env + " not set; skipping PostgreSQL tests")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", pgtest.Env, err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// noEnv is an empty environment.
func noEnv(string) string { return "" }
