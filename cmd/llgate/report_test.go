package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/sqlite"
	"github.com/llgate/llgate/vault"
)

const reportOid = "201408071000001539"

// openWithKeyFile opens the SQLite database db and its vault, with the
// master key next to it as openApp finds it (made if missing). The caller
// closes the store.
func openWithKeyFile(t *testing.T, db string) (llgate.Store, *vault.Vault) {
	t.Helper()
	key, _, err := vault.LoadOrCreateMasterKeyFile(db + ".masterkey")
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(store, key)
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	return store, v
}

// reportDB makes a SQLite database, with the master key next to it as
// openApp finds it, holding a merchant with one payment on 2024-03-05 and a
// refund of it on 2024-03-06.
func reportDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "llgate.db")
	store, v := openWithKeyFile(t, db)
	defer store.Close()
	china := func(s string) time.Time {
		at, err := time.ParseInLocation("2006-01-02 15:04:05", s, llgate.ChinaTime)
		if err != nil {
			t.Fatal(err)
		}
		return at.UTC()
	}
	secret, _ := json.Marshal(llgate.OrderSecret{InfoOrder: "coffee"})
	sealed, err := v.Seal(ctx, reportOid, llgate.TableOrders, "2024030500000001", secret)
	if err != nil {
		t.Fatal(err)
	}
	err = store.Update(ctx, func(tx llgate.Tx) error {
		created := china("2024-03-01 10:00:00")
		if err := tx.InsertMerchant(ctx, &llgate.Merchant{
			OidPartner: reportOid, Name: "shop", PublicKeys: []string{"key"}, SignTypes: []string{llgate.SignRSA},
			CreatedAt: created, UpdatedAt: created,
		}); err != nil {
			return err
		}
		paid := china("2024-03-05 10:15:30")
		if err := tx.InsertOrder(ctx, &llgate.Order{
			OidPaybill: "2024030500000001", OidPartner: reportOid, NoOrder: "ORDER-A", DtOrder: "20240305101500",
			BusiPartner: "101001", Amount: 1234, MoneyOrder: "12.34", PayType: "2", Product: llgate.PayProductMPAY, Status: llgate.OrderSuccess,
			Sealed: sealed, PaidAt: paid, SettleDate: "20240305", CreatedAt: paid, UpdatedAt: paid,
		}); err != nil {
			return err
		}
		settled := china("2024-03-06 08:00:00")
		return tx.InsertRefund(ctx, &llgate.Refund{
			OidRefundno: "2024030600000011", OidPartner: reportOid, NoRefund: "REFUND-A1", DtRefund: "20240306075500",
			OidPaybill: "2024030500000001", Amount: 34, MoneyRefund: "0.34", Status: llgate.RefundSuccess,
			SettleDate: "20240306", SettledAt: settled, CreatedAt: settled, UpdatedAt: settled,
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestReport(t *testing.T) {
	db := reportDB(t)
	const (
		header = "no_order|oid_partner|dt_order|busi_partner|oid_paybill|settle_date|currency_order|money_order|currency_pay|money_pay|currency_settle|money_settle|exchange_rate|transaction_status|dt_update|transaction_fee|pay_product|pay_type|info_order\n"
		paid   = "ORDER-A|201408071000001539|20240305 10:15:00|101001|2024030500000001|20240305|CNY|12.34|CNY|12.34|CNY|12.34|1.00|0|20240305 10:15:30|0.00|MPAY|2|coffee\n"
		refund = "ORDER-A|201408071000001539|20240305 10:15:00|101001|2024030600000011|20240306|CNY|-0.34|CNY|-0.34|CNY|-0.34|1.00|5|20240306 08:00:00|0.00|MPAY|2|coffee\n"
	)
	flags := []string{"--db", db, "--platform-key-file", "../../testdata/clients/keys/platform_private_pkcs8.pem"}

	t.Run("Stdout", func(t *testing.T) {
		out, err := runCLI(t, append([]string{"report", "--merchant", reportOid, "--date", "20240305"}, flags...)...)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := out, header+paid; got != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
		}
	})

	dir := filepath.Join(t.TempDir(), "reports")
	want := map[string]string{
		"JYMX_201408071000001539_20240306.txt":    header + refund,
		"JYMXSUM_201408071000001539_20240306.txt": "1|0||1|-0.34|0|\n",
		"JYMX_201408071000001539_202403.txt":      header + paid + refund,
	}
	t.Run("Out", func(t *testing.T) {
		for _, date := range []string{"20240306", "202403"} {
			out, err := runCLI(t, append([]string{"report", "--merchant", reportOid, "--date", date, "--out", dir}, flags...)...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, filepath.Join(dir, "JYMX_201408071000001539_"+date+".txt")) {
				t.Errorf("stdout = %q, want the files' paths", out)
			}
		}
		for name, content := range want {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(b); got != content {
				t.Errorf("%s:\n%s\nwant:\n%s", name, got, content)
			}
		}
		entries, _ := os.ReadDir(dir)
		if got, want := len(entries), len(want); got != want {
			t.Errorf("%d files in --out, want %d", got, want)
		}
	})

	t.Run("Stored", func(t *testing.T) {
		ctx := context.Background()
		store, v := openWithKeyFile(t, db)
		defer store.Close()
		want["JYMX_201408071000001539_20240305.txt"] = header + paid
		want["JYMXSUM_201408071000001539_20240305.txt"] = "1|1|12.34|0||0|\n"
		var reports []*llgate.Report
		err := store.View(ctx, func(tx llgate.Tx) error {
			list, err := tx.Reports(ctx, reportOid)
			for _, r := range list {
				full, err := tx.Report(ctx, r.Name)
				if err != nil {
					return err
				}
				reports = append(reports, full)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(reports), len(want); got != want {
			t.Errorf("%d reports stored, want %d", got, want)
		}
		for _, r := range reports {
			if bytes.Contains(r.Content, []byte("no_order|")) {
				t.Errorf("%s is stored in plaintext", r.Name)
			}
			b, err := v.Open(ctx, reportOid, llgate.TableReports, r.Name, r.Content)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(b), want[r.Name]; got != want {
				t.Errorf("stored %s:\n%s\nwant:\n%s", r.Name, got, want)
			}
		}
	})

	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string // in the error; "" = a usage error
		}{
			{[]string{"--date", "20240305"}, ""},
			{[]string{"--merchant", reportOid}, ""},
			{[]string{"--merchant", reportOid, "--date", "2024-03-05"}, "--date must be"},
			{[]string{"--merchant", reportOid, "--date", "20241305"}, "--date must be"},
			{[]string{"--merchant", "201408071000009999", "--date", "20240305"}, "no merchant"},
			{[]string{"--merchant", reportOid, "--date", "29990101"}, "has not started"},
		} {
			_, err := runCLI(t, append(append([]string{"report"}, tc.args...), flags...)...)
			switch {
			case err == nil:
				t.Errorf("%q: no error", tc.args)
			case tc.want == "" && !errors.Is(err, errUsage):
				t.Errorf("%q: error %v, want a usage error", tc.args, err)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("%q: error %v, want one saying %q", tc.args, err, tc.want)
			}
		}
	})
}
