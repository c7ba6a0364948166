package llgate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

const settingAdminToken = "admin_token"

// AdminToken returns the admin API's token when none is given: generated
// once (192 random bits, hex), sealed by the vault and kept with the
// database, so a restart keeps users' scripts working. Replicas starting
// together agree on one: the insert is if-absent and everyone reads back
// what won.
func AdminToken(ctx context.Context, store Store, v Vault) (string, error) {
	if t, err := loadAdminToken(ctx, store, v); err == nil || !errors.Is(err, ErrNotFound) {
		return t, err
	}
	b := make([]byte, 24)
	rand.Read(b)
	sealed, err := v.Seal(ctx, OwnerSystem, "settings", settingAdminToken, []byte(hex.EncodeToString(b)))
	if err != nil {
		return "", err
	}
	err = store.Update(ctx, func(tx Tx) error {
		_, err := tx.InsertSetting(ctx, settingAdminToken, sealed)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store admin token: %w", err)
	}
	return loadAdminToken(ctx, store, v)
}

func loadAdminToken(ctx context.Context, store Store, v Vault) (string, error) {
	sealed, err := view(ctx, store, func(tx Tx) ([]byte, error) { return tx.Setting(ctx, settingAdminToken) })
	if err != nil {
		return "", err
	}
	b, err := v.Open(ctx, OwnerSystem, "settings", settingAdminToken, sealed)
	if err != nil {
		return "", fmt.Errorf("open admin token (is this the right master key?): %w", err)
	}
	return string(b), nil
}

// StrongAdminToken says whether a token carries at least 128 bits, as a
// gateway's must (CONTRACT.md §1): 32 hex characters, or 22 of any other
// kind (base64 and the like).
func StrongAdminToken(t string) bool {
	hexOnly := strings.Trim(strings.ToLower(t), "0123456789abcdef") == ""
	if hexOnly {
		return len(t) >= 32
	}
	return len(t) >= 22
}
