package llgate

import "context"

// Vault encrypts personal data at rest. Each ciphertext is bound to its owner
// (a merchant, a platform, or the system), table and row. Fingerprint is a
// keyed hash for lookups by card, ID or phone number. Package vault
// implements it.
//
// Every owner's data key exists before its data does: EnsureOwner makes it
// when the owner comes to be (a merchant is created, a platform named) and
// at start, so a use case seals inside its transaction with SealIn, which
// never writes. Seal may create a key with a transaction of its own: only
// outside transactions.
type Vault interface {
	Seal(ctx context.Context, owner, table, row string, plaintext []byte) ([]byte, error)
	SealIn(ctx context.Context, owner, table, row string, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, owner, table, row string, ciphertext []byte) ([]byte, error)
	Fingerprint(kind, value string) string
	EnsureOwner(ctx context.Context, owner string) error
}

// OwnerSystem owns llgate's own secrets (the platform key).
const OwnerSystem = "system"
