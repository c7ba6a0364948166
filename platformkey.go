package llgate

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
)

const settingPlatformKey = "platform_key"

// PlatformKey returns the platform's RSA key: created once (2048 bits), sealed
// by the vault and stored. Replicas racing at first start agree on one key:
// the insert is if-absent and everyone reads back what won.
func PlatformKey(ctx context.Context, store Store, v Vault) (*rsa.PrivateKey, error) {
	if key, err := loadPlatformKey(ctx, store, v); err == nil || !errors.Is(err, ErrNotFound) {
		return key, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	sealed, err := v.Seal(ctx, OwnerSystem, "settings", settingPlatformKey, der)
	if err != nil {
		return nil, err
	}
	err = store.Update(ctx, func(tx Tx) error {
		_, err := tx.InsertSetting(ctx, settingPlatformKey, sealed)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store platform key: %w", err)
	}
	return loadPlatformKey(ctx, store, v)
}

func loadPlatformKey(ctx context.Context, store Store, v Vault) (*rsa.PrivateKey, error) {
	var sealed []byte
	err := store.View(ctx, func(tx Tx) error {
		var err error
		sealed, err = tx.Setting(ctx, settingPlatformKey)
		return err
	})
	if err != nil {
		return nil, err
	}
	der, err := v.Open(ctx, OwnerSystem, "settings", settingPlatformKey, sealed)
	if err != nil {
		return nil, fmt.Errorf("open platform key (is this the right master key?): %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse platform key: %w", err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("platform key is not RSA")
	}
	return key, nil
}
