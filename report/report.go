// Package report writes the transaction reports of transaction-report.md in
// the exact form of CONTRACT.md §9: the daily detail file
// JYMX_<oid>_<yyyyMMdd>.txt, the daily summary JYMXSUM_<oid>_<yyyyMMdd>.txt
// and the monthly detail file JYMX_<oid>_<yyyyMM>.txt, stored sealed in the
// reports table. The scheduled run (RunDue, Loop) writes each file once it is
// due at 09:00 China time, catching up on every file a clock jump skipped.
//
// Bytes: UTF-8, fields joined by '|' with no spaces, every line (the last
// one included) ends with a single LF. Free text (info_order, and the
// merchant's own strings no_order, busi_partner, pay_type) has '|', CR, LF,
// every other control character and U+2028/U+2029 replaced by a space, so a
// row is always one line of 19 fields.
package report

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// Header is the first line of a detail file: the 19 columns of
// transaction-report.md, currency_pay spelled correctly.
const Header = "no_order|oid_partner|dt_order|busi_partner|oid_paybill|settle_date|currency_order|" +
	"money_order|currency_pay|money_pay|currency_settle|money_settle|exchange_rate|transaction_status|" +
	"dt_update|transaction_fee|pay_product|pay_type|info_order"

// transaction_status values.
const (
	statusPaid     = "0"
	statusRefunded = "5"
)

// Generator builds and stores a merchant's report files.
type Generator struct {
	Store  llgate.Store
	Vault  llgate.Vault
	Clock  llgate.Clock
	Logger *slog.Logger // Loop's errors; nil discards them

	// idle, when set, is told the clock reading of each Loop pass once that
	// pass has written everything due (tests).
	idle func(now time.Time)
}

// DailyName is the detail file of the China calendar day of day.
func DailyName(oid string, day time.Time) string {
	return "JYMX_" + oid + "_" + llgate.ChinaDate(day) + ".txt"
}

// SummaryName is the summary file of the China calendar day of day.
func SummaryName(oid string, day time.Time) string {
	return "JYMXSUM_" + oid + "_" + llgate.ChinaDate(day) + ".txt"
}

// MonthlyName is the detail file of the China calendar month of month.
func MonthlyName(oid string, month time.Time) string {
	return "JYMX_" + oid + "_" + month.In(llgate.ChinaTime).Format("200601") + ".txt"
}

// Build returns the detail and summary files of the China calendar day of
// day.
func (g *Generator) Build(ctx context.Context, oid string, day time.Time) (detail, summary []byte, err error) {
	from := llgate.ChinaDay(day)
	rows, err := g.rows(ctx, oid, from, from.AddDate(0, 0, 1))
	if err != nil {
		return nil, nil, err
	}
	return formatDetail(rows), formatSummary(rows), nil
}

// BuildMonth returns the detail file of the China calendar month of month.
func (g *Generator) BuildMonth(ctx context.Context, oid string, month time.Time) ([]byte, error) {
	from := llgate.ChinaMonth(month)
	rows, err := g.rows(ctx, oid, from, from.AddDate(0, 1, 0))
	if err != nil {
		return nil, err
	}
	return formatDetail(rows), nil
}

// Save seals content and stores it as the report name of merchant oid,
// replacing a report of that name. (It is not called Store: that is the
// field.)
func (g *Generator) Save(ctx context.Context, name, oid string, content []byte) error {
	return g.put(ctx, oid, []file{{name, content}}, "")
}

// file is one report file before it is sealed.
type file struct {
	name    string
	content []byte
}

// put seals files (outside any transaction: the vault may use the store),
// then stores them in one transaction; done, when set, moves the merchant's
// progress marker forward to that day in the same transaction.
func (g *Generator) put(ctx context.Context, oid string, files []file, done string) error {
	now := g.Clock.Now()
	reports := make([]*llgate.Report, 0, len(files))
	for _, f := range files {
		sealed, err := g.Vault.Seal(ctx, oid, llgate.TableReports, f.name, f.content)
		if err != nil {
			return fmt.Errorf("seal report %s: %w", f.name, err)
		}
		reports = append(reports, &llgate.Report{
			Name: f.name, OidPartner: oid, Size: int64(len(f.content)), Content: sealed, CreatedAt: now,
		})
	}
	return g.Store.Update(ctx, func(tx llgate.Tx) error {
		for _, r := range reports {
			if err := tx.PutReport(ctx, r); err != nil {
				return err
			}
		}
		if done == "" {
			return nil
		}
		return advanceMarker(ctx, tx, oid, done)
	})
}

// row is one line of a detail file.
type row struct {
	fields [19]string
	refund bool
	amount llgate.Amount // positive for both kinds
}

// Column indexes used for sorting.
const (
	colPaybill  = 4
	colDtUpdate = 14
)

// rows reads the merchant's successful payments (by PaidAt) and refunds (by
// SettledAt) in [from, to) and returns their rows ordered by dt_update then
// the oid_paybill column, both as written, so the file's own columns are
// sorted.
func (g *Generator) rows(ctx context.Context, oid string, from, to time.Time) ([]row, error) {
	var (
		orders   []*llgate.Order
		refunds  []*llgate.Refund
		captures []*llgate.Preauth
		payment  map[string]*llgate.Order
	)
	err := g.Store.View(ctx, func(tx llgate.Tx) error {
		var err error
		if orders, err = tx.SettledOrders(ctx, oid, from, to); err != nil {
			return err
		}
		// Authorisations make no row (§4.7): their captures do.
		orders = slices.DeleteFunc(orders, (*llgate.Order).IsPreauth)
		if captures, err = tx.SettledCaptures(ctx, oid, from, to); err != nil {
			return err
		}
		if refunds, err = tx.SettledRefunds(ctx, oid, from, to); err != nil {
			return err
		}
		payment = make(map[string]*llgate.Order, len(orders))
		for _, o := range orders {
			payment[o.OidPaybill] = o
		}
		need := make([]string, 0, len(refunds)+len(captures))
		for _, r := range refunds {
			need = append(need, r.OidPaybill)
		}
		for _, c := range captures {
			need = append(need, c.OidPaybill)
		}
		for _, id := range need {
			if payment[id] != nil {
				continue
			}
			o, err := tx.Order(ctx, id)
			if err != nil {
				return fmt.Errorf("payment %s of a refund or capture: %w", id, err)
			}
			payment[o.OidPaybill] = o
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report data of %s: %w", oid, err)
	}
	// The secrets are opened after the transaction: never the vault inside.
	info := make(map[string]string, len(payment))
	for id, o := range payment {
		s, err := llgate.OpenOrderSecret(ctx, g.Vault, o)
		if err != nil {
			return nil, fmt.Errorf("open order %s: %w", id, err)
		}
		info[id] = clean(s.InfoOrder)
	}

	rows := make([]row, 0, len(orders)+len(refunds))
	for _, o := range orders {
		rows = append(rows, paymentRow(o, info[o.OidPaybill]))
	}
	for _, r := range refunds {
		o := payment[r.OidPaybill]
		rows = append(rows, refundRow(o, r, info[o.OidPaybill]))
	}
	for _, c := range captures {
		o := payment[c.OidPaybill]
		rows = append(rows, captureRow(o, c, info[o.OidPaybill]))
	}
	slices.SortFunc(rows, func(a, b row) int {
		if c := strings.Compare(a.fields[colDtUpdate], b.fields[colDtUpdate]); c != 0 {
			return c
		}
		return strings.Compare(a.fields[colPaybill], b.fields[colPaybill])
	})
	return rows, nil
}

func paymentRow(o *llgate.Order, info string) row {
	money := protocol.FormatAmount(o.Amount)
	return row{amount: o.Amount, fields: [19]string{
		clean(o.NoOrder), o.OidPartner, dtOrder(o.DtOrder), clean(o.BusiPartner), o.OidPaybill,
		clean(o.SettleDate), "CNY", money, "CNY", money, "CNY", money, "1.00", statusPaid,
		dtUpdate(o.PaidAt), "0.00", o.Product, clean(o.PayType), info,
	}}
}

// captureRow is a pre-authorisation's capture: a payment of the captured
// amount, settled and updated when the capture completed.
func captureRow(o *llgate.Order, c *llgate.Preauth, info string) row {
	paid := *o
	paid.Amount, paid.SettleDate, paid.PaidAt = c.Amount, c.SettleDate, c.DoneAt
	return paymentRow(&paid, info)
}

func refundRow(o *llgate.Order, r *llgate.Refund, info string) row {
	money := protocol.FormatAmount(-r.Amount)
	return row{refund: true, amount: r.Amount, fields: [19]string{
		clean(o.NoOrder), r.OidPartner, dtOrder(o.DtOrder), clean(o.BusiPartner), r.OidRefundno,
		clean(r.SettleDate), "CNY", money, "CNY", money, "CNY", money, "1.00", statusRefunded,
		dtUpdate(r.SettledAt), "0.00", o.Product, clean(o.PayType), info,
	}}
}

func formatDetail(rows []row) []byte {
	var b strings.Builder
	b.WriteString(Header)
	b.WriteByte('\n')
	for _, r := range rows {
		b.WriteString(strings.Join(r.fields[:], "|"))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// formatSummary writes the one summary line; an amount is empty when its
// count is 0, refunds are negative, and nothing is ever cancelled.
func formatSummary(rows []row) []byte {
	var paid, refunded int
	var paidSum, refundSum llgate.Amount
	for _, r := range rows {
		if r.refund {
			refunded++
			refundSum += r.amount
		} else {
			paid++
			paidSum += r.amount
		}
	}
	amount := func(n int, a llgate.Amount) string {
		if n == 0 {
			return ""
		}
		return protocol.FormatAmount(a)
	}
	return fmt.Appendf(nil, "%d|%d|%s|%d|%s|0|\n", paid+refunded, paid, amount(paid, paidSum),
		refunded, amount(refunded, -refundSum))
}

// dtOrder writes the merchant's dt_order (yyyyMMddHHmmss, China time) as
// yyyyMMdd HH:mm:ss; a value that is not a timestamp is kept as sent.
func dtOrder(s string) string {
	t, err := time.ParseInLocation("20060102150405", s, llgate.ChinaTime)
	if err != nil {
		return clean(s)
	}
	return t.Format("20060102 15:04:05")
}

func dtUpdate(t time.Time) string { return t.In(llgate.ChinaTime).Format("20060102 15:04:05") }

// clean keeps a value on one line and in one field: '|', line breaks and
// other control characters become spaces, invalid UTF-8 the replacement
// character.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '|' || r == '\u2028' || r == '\u2029' || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
