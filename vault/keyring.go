package vault

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"fmt"

	"github.com/llgate/llgate"
)

// ring returns owner's keyring holding version need (0: the current one,
// created if the owner has no key yet and create allows it).
func (v *Vault) ring(ctx context.Context, owner string, need int, create bool) (*keyring, error) {
	if r := v.cached(owner, need); r != nil {
		return r, nil
	}
	v.loadMu.Lock()
	defer v.loadMu.Unlock()
	if r := v.cached(owner, need); r != nil {
		return r, nil
	}
	r, err := v.loadLocked(ctx, owner)
	if err != nil {
		return nil, err
	}
	if r == nil && need == 0 && !create {
		return nil, fmt.Errorf("%w: %q", ErrNoKey, owner)
	}
	if r == nil && need == 0 {
		if _, err := v.createKey(ctx, owner, 1); err != nil {
			return nil, err
		}
		// Whether we or a racing process inserted version 1, the stored
		// row is the key everyone uses.
		if r, err = v.loadLocked(ctx, owner); err != nil {
			return nil, err
		}
	}
	if r == nil {
		if need == 0 {
			return nil, fmt.Errorf("vault: no data key for owner %q after creating one", owner)
		}
		return nil, unknownVersion(owner, need)
	}
	if need != 0 && r.aeads[need] == nil {
		return nil, unknownVersion(owner, need)
	}
	return r, nil
}

// unknownVersion wraps ErrOpen: to a caller, a ciphertext naming a key the
// owner does not have is one that does not open.
func unknownVersion(owner string, version int) error {
	return fmt.Errorf("%w: unknown data key version %d for owner %q", ErrOpen, version, owner)
}

func (v *Vault) cached(owner string, need int) *keyring {
	v.mu.RLock()
	r := v.rings[owner]
	v.mu.RUnlock()
	if r == nil || (need != 0 && r.aeads[need] == nil) {
		return nil
	}
	return r
}

// loadLocked reads and unwraps every data key of owner and caches them. It
// returns nil, nil when the owner has none.
func (v *Vault) loadLocked(ctx context.Context, owner string) (*keyring, error) {
	keys, err := v.dataKeys(ctx, owner)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, nil
	}
	r := &keyring{aeads: make(map[int]cipher.AEAD, len(keys))}
	for _, k := range keys {
		raw, err := v.unwrap(owner, k)
		if err != nil {
			return nil, err
		}
		aead, err := newGCM(raw)
		clear(raw)
		if err != nil {
			return nil, err
		}
		r.aeads[k.Version] = aead
		if k.Version > r.current {
			r.current = k.Version
		}
	}
	r.checked.Store(v.now().UnixNano())
	v.mu.Lock()
	v.rings[owner] = r
	v.mu.Unlock()
	return r, nil
}

func (v *Vault) dataKeys(ctx context.Context, owner string) ([]llgate.DataKey, error) {
	var keys []llgate.DataKey
	err := v.store.View(ctx, func(tx llgate.Tx) error {
		var err error
		keys, err = tx.DataKeys(ctx, owner)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vault: read data keys: %w", err)
	}
	return keys, nil
}

// createKey stores a fresh data key as owner's version; false when that
// version already exists (another process won the race).
func (v *Vault) createKey(ctx context.Context, owner string, version int) (bool, error) {
	raw := make([]byte, MasterKeySize)
	rand.Read(raw)
	wrapped := make([]byte, 1+nonceSize, wrappedSize)
	wrapped[0] = formatV1
	rand.Read(wrapped[1:])
	wrapped = v.kek.Seal(wrapped, wrapped[1:1+nonceSize], raw, dataKeyAD(owner, version))
	clear(raw)
	var inserted bool
	err := v.store.Update(ctx, func(tx llgate.Tx) error {
		var err error
		inserted, err = tx.InsertDataKey(ctx, llgate.DataKey{
			Owner:     owner,
			Version:   version,
			Wrapped:   wrapped,
			CreatedAt: v.now().UTC(),
		})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("vault: store data key: %w", err)
	}
	return inserted, nil
}

func (v *Vault) unwrap(owner string, k llgate.DataKey) ([]byte, error) {
	w := k.Wrapped
	if len(w) != wrappedSize || w[0] != formatV1 {
		return nil, fmt.Errorf("%w (owner %q, version %d)", ErrWrongKey, owner, k.Version)
	}
	raw, err := v.kek.Open(nil, w[1:1+nonceSize], w[1+nonceSize:], dataKeyAD(owner, k.Version))
	if err != nil {
		return nil, fmt.Errorf("%w (owner %q, version %d)", ErrWrongKey, owner, k.Version)
	}
	return raw, nil
}
