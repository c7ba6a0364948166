package llgate

import "context"

// Vault encrypts personal data at rest. Each ciphertext is bound to its owner
// (a merchant, a platform, or the system), table and row. Fingerprint is a
// keyed hash for lookups by card, ID or phone number. Package vault
// implements it.
type Vault interface {
	Seal(ctx context.Context, owner, table, row string, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, owner, table, row string, ciphertext []byte) ([]byte, error)
	Fingerprint(kind, value string) string
}

// OwnerSystem owns llgate's own secrets (the platform key).
const OwnerSystem = "system"
