package sqlstore

// SealedColumnNames lists every registered sealed column as table.column.
func SealedColumnNames() []string {
	var out []string
	for _, c := range sealedColumns {
		out = append(out, c.table+"."+c.column)
	}
	return out
}
