// Package vault encrypts personal data at rest (card number, ID number, name,
// phone, risk items, notification bodies, reports) and computes the keyed
// fingerprints used to look such data up without decrypting it.
//
// Keys form two levels. The master key (32 bytes) lives outside the database:
// a file, an environment variable, or memory for a throw-away sandbox. Each
// owner (a merchant, the platform its users are shared through, the simulated
// issuer) has data keys, random 32-byte AES-256 keys stored in the database
// wrapped by a key-encryption key derived from the master key. Every
// ciphertext carries the version of the data key that sealed it, and its GCM
// additional data names owner, table, row and version, so a ciphertext copied
// to another row, table or owner does not open.
package vault

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llgate/llgate"
)

// MasterKeySize is the size of the master key and of every data key.
const MasterKeySize = 32

// Ciphertext layout: format (1) | key version (4, big endian) | nonce (12) |
// GCM ciphertext and tag.
const (
	formatV1    = 0x01
	headerSize  = 1 + 4
	nonceSize   = 12
	tagSize     = 16
	minSealSize = headerSize + nonceSize + tagSize
)

// RefreshInterval is how long a Vault seals with the newest data-key version
// it knows before it asks the store, in the background, whether a rotation
// (in this or another process) added a newer one. A ciphertext naming a
// version the Vault does not know makes it re-read the owner's keys at once.
const RefreshInterval = 5 * time.Second

// Wrapped data key layout: format (1) | nonce (12) | GCM(data key) and tag.
const wrappedSize = 1 + nonceSize + MasterKeySize + tagSize

var (
	// ErrWrongKey means a data key did not unwrap: the master key is not the
	// one the database was created with, or the stored key was altered.
	ErrWrongKey = errors.New("vault: wrong master key or corrupted data key")
	// ErrOpen means a ciphertext did not open: it was altered, or it belongs
	// to another owner, table or row. It is deliberately unspecific.
	ErrOpen = errors.New("vault: cannot open ciphertext (altered, or sealed for another owner, table or row)")
	// ErrFormat means the bytes are not a vault ciphertext at all.
	ErrFormat = errors.New("vault: not a vault ciphertext")
)

var _ llgate.Vault = (*Vault)(nil)

// Vault seals and opens data under per-owner data keys. It is safe for
// concurrent use. Unwrapped data keys are cached in memory for the life of
// the Vault and are never logged or returned.
type Vault struct {
	store  llgate.Store
	kek    cipher.AEAD // wraps data keys
	fpKey  []byte      // fingerprint HMAC key
	fpPool sync.Pool   // of hash.Hash keyed with fpKey
	now    func() time.Time

	mu    sync.RWMutex
	rings map[string]*keyring // owner -> immutable keyring

	loadMu sync.Mutex // serializes store reads and key creation
}

// keyring is one owner's unwrapped data keys. It is replaced, never
// modified (but for checked), so readers need no lock once they hold it.
type keyring struct {
	current int
	aeads   map[int]cipher.AEAD
	checked atomic.Int64 // unix nanoseconds when current was last confirmed newest
}

// New creates a vault over the store. master is the 32-byte master key that
// lives outside the database.
func New(store llgate.Store, master []byte) (*Vault, error) {
	if store == nil {
		return nil, errors.New("vault: nil store")
	}
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("vault: master key must be %d bytes, got %d", MasterKeySize, len(master))
	}
	kek, err := newGCM(derive(master, "llgate kek v1"))
	if err != nil {
		return nil, err
	}
	return &Vault{
		store: store,
		kek:   kek,
		fpKey: derive(master, "llgate fingerprint v1"),
		now:   time.Now,
		rings: make(map[string]*keyring),
	}, nil
}

func derive(master []byte, label string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(label))
	return m.Sum(nil)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	return cipher.NewGCM(b)
}

// Seal encrypts plaintext with AES-256-GCM under the owner's current data
// key. The first Seal for an owner may create its data key with a store
// Update of its own, so call Seal before, not inside, a write transaction;
// inside one, call SealIn. Once every RefreshInterval per owner, a Seal also
// starts a background read of the owner's keys, which picks up a rotation.
func (v *Vault) Seal(ctx context.Context, owner, table, row string, plaintext []byte) ([]byte, error) {
	return v.sealWith(ctx, owner, table, row, plaintext, true)
}

// SealIn is Seal for callers inside a write transaction: it never writes
// (a key it must read comes from a read of its own, which sees committed
// keys only). The owner's data key must exist: EnsureOwner makes it when
// the owner comes to be; ErrNoKey otherwise.
func (v *Vault) SealIn(ctx context.Context, owner, table, row string, plaintext []byte) ([]byte, error) {
	return v.sealWith(ctx, owner, table, row, plaintext, false)
}

// EnsureOwner gives owner a data key if it has none yet, so that seals
// inside transactions (SealIn) find one. Call it outside transactions, when
// an owner comes to be (a merchant, a platform) and at start.
func (v *Vault) EnsureOwner(ctx context.Context, owner string) error {
	if err := checkNames(owner, "", ""); err != nil {
		return err
	}
	_, err := v.ring(ctx, owner, 0, true)
	return err
}

// ErrNoKey is SealIn's answer for an owner that has no data key yet.
var ErrNoKey = errors.New("vault: the owner has no data key yet (EnsureOwner makes one)")

func (v *Vault) sealWith(ctx context.Context, owner, table, row string, plaintext []byte, create bool) ([]byte, error) {
	if err := checkNames(owner, table, row); err != nil {
		return nil, err
	}
	r, err := v.ring(ctx, owner, 0, create)
	if err != nil {
		return nil, err
	}
	v.refreshLater(owner, r)
	return v.seal(r, owner, table, row, plaintext), nil
}

// sealAtLeast is Seal with a key version of at least min: rotation knows
// the version it rotates to and does not wait for the refresh.
func (v *Vault) sealAtLeast(ctx context.Context, owner, table, row string, plaintext []byte, min int) ([]byte, error) {
	if err := checkNames(owner, table, row); err != nil {
		return nil, err
	}
	r, err := v.ring(ctx, owner, min, true)
	if err != nil {
		return nil, err
	}
	return v.seal(r, owner, table, row, plaintext), nil
}

func (v *Vault) seal(r *keyring, owner, table, row string, plaintext []byte) []byte {
	aead := r.aeads[r.current]
	out := make([]byte, headerSize+nonceSize, headerSize+nonceSize+len(plaintext)+tagSize)
	out[0] = formatV1
	binary.BigEndian.PutUint32(out[1:headerSize], uint32(r.current))
	rand.Read(out[headerSize:])
	nonce := out[headerSize:]
	return aead.Seal(out, nonce, plaintext, additionalData(owner, table, row, r.current))
}

// refreshLater checks, once every RefreshInterval per owner, whether a
// rotation added a newer version than r's, and if so caches the reloaded
// keys for the Seals that follow. The check runs in the background: a Seal
// never waits for it, and never deadlocks on a store with one connection
// when a caller seals inside a transaction. A failed check keeps r: every
// version stays readable, so sealing with a superseded one is safe, and
// the rotation's later passes rewrite what was sealed so.
func (v *Vault) refreshLater(owner string, r *keyring) {
	now := v.now().UnixNano()
	last := r.checked.Load()
	if now-last < int64(RefreshInterval) || !r.checked.CompareAndSwap(last, now) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), RefreshInterval)
		defer cancel()
		keys, err := v.dataKeys(ctx, owner)
		if err != nil || len(keys) == 0 || keys[len(keys)-1].Version <= r.current {
			return
		}
		v.ring(ctx, owner, keys[len(keys)-1].Version, false) // caches the reloaded keyring
	}()
}

// Open decrypts a ciphertext made by Seal for the same owner, table and row.
// Its errors never contain the plaintext.
func (v *Vault) Open(ctx context.Context, owner, table, row string, ciphertext []byte) ([]byte, error) {
	if err := checkNames(owner, table, row); err != nil {
		return nil, err
	}
	version, err := KeyVersion(ciphertext)
	if err != nil {
		return nil, err
	}
	r, err := v.ring(ctx, owner, version, false)
	if err != nil {
		return nil, err
	}
	nonce := ciphertext[headerSize : headerSize+nonceSize]
	plain, err := r.aeads[version].Open(nil, nonce, ciphertext[headerSize+nonceSize:], additionalData(owner, table, row, version))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// KeyVersion returns the data-key version a ciphertext was sealed with.
func KeyVersion(ciphertext []byte) (int, error) {
	if len(ciphertext) < minSealSize {
		return 0, ErrFormat
	}
	return HeadVersion(ciphertext)
}

// HeadVersion is KeyVersion for the first bytes of a ciphertext (at least
// 5), as a listing of sealed values returns them.
func HeadVersion(head []byte) (int, error) {
	if len(head) < headerSize || head[0] != formatV1 {
		return 0, ErrFormat
	}
	v := binary.BigEndian.Uint32(head[1:headerSize])
	if v == 0 || v > 1<<31-1 {
		return 0, ErrFormat
	}
	return int(v), nil
}

// Rotate adds a new data key version for owner and makes it current for this
// Vault. Existing ciphertexts keep opening with their own version; Rotation
// rewrites them. Other Vaults over the same store keep sealing with the
// version they cached for up to RefreshInterval; that is harmless, every
// version stays readable, and a Rotation's later passes rewrite what they
// sealed meanwhile.
func (v *Vault) Rotate(ctx context.Context, owner string) (int, error) {
	if err := checkNames(owner, "", ""); err != nil {
		return 0, err
	}
	v.loadMu.Lock()
	defer v.loadMu.Unlock()
	for {
		keys, err := v.dataKeys(ctx, owner)
		if err != nil {
			return 0, err
		}
		next := 1
		if len(keys) > 0 {
			next = keys[len(keys)-1].Version + 1
		}
		ok, err := v.createKey(ctx, owner, next)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue // another process took this version; take the next one
		}
		if _, err := v.loadLocked(ctx, owner); err != nil {
			return 0, err
		}
		return next, nil
	}
}

// Fingerprint is a keyed HMAC-SHA256 of kind+"\x00"+value, in hex. One
// fingerprint key serves every owner, so the same card gives the same
// fingerprint at every merchant. kind is "card", "id", "mobile", ...
func (v *Vault) Fingerprint(kind, value string) string {
	m, _ := v.fpPool.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, v.fpKey)
	}
	m.Reset()
	io.WriteString(m, kind)
	m.Write([]byte{0})
	io.WriteString(m, value)
	var sum [sha256.Size]byte
	out := hex.EncodeToString(m.Sum(sum[:0]))
	v.fpPool.Put(m)
	return out
}

func additionalData(owner, table, row string, version int) []byte {
	return []byte("llgate/v1\x00" + owner + "\x00" + table + "\x00" + row + "\x00" + strconv.Itoa(version))
}

func dataKeyAD(owner string, version int) []byte {
	return []byte("llgate/dk\x00" + owner + "\x00" + strconv.Itoa(version))
}

// checkNames rejects NUL in the names: NUL separates them in the additional
// data, and allowing it would let two different triples share one.
func checkNames(owner, table, row string) error {
	if owner == "" {
		return errors.New("vault: empty owner")
	}
	if strings.ContainsRune(owner, 0) || strings.ContainsRune(table, 0) || strings.ContainsRune(row, 0) {
		return errors.New("vault: NUL in owner, table or row")
	}
	return nil
}
