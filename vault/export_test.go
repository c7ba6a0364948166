package vault

import "time"

// SetNow replaces the clock v reads, before v is used.
func SetNow(v *Vault, now func() time.Time) { v.now = now }
