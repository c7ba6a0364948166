package llgate

import "context"

// ReportFiles reads the stored transaction report files (the admin API's
// list and download, the console's reports page). Files are sealed at rest
// and opened here.
type ReportFiles struct {
	Store Store
	Vault Vault
}

// List returns a merchant's report files, by name, without their content.
func (r *ReportFiles) List(ctx context.Context, oid string) ([]*Report, error) {
	return view(ctx, r.Store, func(tx Tx) ([]*Report, error) { return tx.Reports(ctx, oid) })
}

// Open returns a report file and its plaintext content. ErrNotFound if there
// is none of that name.
func (r *ReportFiles) Open(ctx context.Context, name string) (*Report, []byte, error) {
	rp, err := view(ctx, r.Store, func(tx Tx) (*Report, error) { return tx.Report(ctx, name) })
	if err != nil {
		return nil, nil, err
	}
	plain, err := r.Vault.Open(ctx, rp.OidPartner, TableReports, rp.Name, rp.Content)
	return rp, plain, err
}
