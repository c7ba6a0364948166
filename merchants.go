package llgate

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Merchants manages merchant accounts and caches what request verification
// needs (the parsed public keys), so a request costs no key parsing.
//
// The vault is never called inside a store transaction: on SQLite there is
// one writer, and a vault that must create a data key would wait for itself.
type Merchants struct {
	Store    Store
	Vault    Vault
	Clock    Clock
	ParseKey func(string) (*rsa.PublicKey, error)
	// CacheTTL bounds how long another replica's change may go unseen.
	CacheTTL time.Duration

	mu    sync.Mutex
	cache map[string]cachedAuth
}

// MerchantAuth is a merchant with its keys parsed and its MD5 key opened.
type MerchantAuth struct {
	Merchant *Merchant
	Keys     []*rsa.PublicKey
	MD5Key   string
}

type cachedAuth struct {
	auth    *MerchantAuth // nil: no such merchant (a negative entry)
	expires time.Time
}

// maxCachedAuth bounds the cache: unknown oid_partners are cached too (junk
// must not cost a store read each), and they are as many as a client makes
// up. Past it the cache starts afresh.
const maxCachedAuth = 10_000

// MerchantPatch is a partial update; nil fields stay as they are.
type MerchantPatch struct {
	Name              *string
	PublicKeys        *[]string
	SignTypes         *[]string
	IPAllowlist       *[]string
	Live              *bool
	Platform          *string
	Limits            *Limits
	Velocity          *Velocity
	NotifyExtraFields *bool
	NotifyContentType *string
	Products          *[]string
	EasypayNoSMS      *bool
	SettleDays        *int
	PayoutLimits      *Limits
	SMSCode           *string
	MD5Key            *string
}

// ValidationError is an invalid merchant object (the admin API's 400).
type ValidationError struct{ Msg string }

func (e *ValidationError) Error() string { return e.Msg }

// Create stores a new merchant. md5Key is the plaintext legacy key or "".
// Returns ErrConflict if the oid_partner exists, *ValidationError if invalid.
func (s *Merchants) Create(ctx context.Context, m *Merchant, md5Key string) (*Merchant, error) {
	if err := s.prepare(ctx, m, md5Key); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	m.CreatedAt, m.UpdatedAt = now, now
	err := s.Store.Update(ctx, func(tx Tx) error { return tx.InsertMerchant(ctx, m) })
	if err != nil {
		return nil, err
	}
	s.forget(m.OidPartner)
	return m, nil
}

// Upsert creates the merchant or replaces every field of an existing one
// (the --merchants file at start).
func (s *Merchants) Upsert(ctx context.Context, m *Merchant, md5Key string) (*Merchant, error) {
	if err := s.prepare(ctx, m, md5Key); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = s.Store.Update(ctx, func(tx Tx) error {
			old, err := tx.Merchant(ctx, m.OidPartner)
			switch {
			case errors.Is(err, ErrNotFound):
				m.CreatedAt, m.UpdatedAt = now, now
				return tx.InsertMerchant(ctx, m)
			case err != nil:
				return err
			}
			m.CreatedAt, m.UpdatedAt = old.CreatedAt, now
			return tx.UpdateMerchant(ctx, m)
		})
		// Replicas starting together with one --merchants file race to
		// insert: the loser finds the row on the next pass and updates it.
		if !errors.Is(err, ErrConflict) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	s.forget(m.OidPartner)
	return m, nil
}

// Patch applies p to the merchant. Returns ErrNotFound or *ValidationError.
func (s *Merchants) Patch(ctx context.Context, oid string, p MerchantPatch) (*Merchant, error) {
	var sealedMD5 []byte
	if p.MD5Key != nil && *p.MD5Key != "" {
		var err error
		if sealedMD5, err = s.Vault.Seal(ctx, oid, TableMerchants, oid, []byte(*p.MD5Key)); err != nil {
			return nil, err
		}
	}
	if p.PublicKeys != nil {
		if err := s.checkKeys(*p.PublicKeys); err != nil {
			return nil, err
		}
	}

	var out *Merchant
	err := s.Store.Update(ctx, func(tx Tx) error {
		m, err := tx.Merchant(ctx, oid)
		if err != nil {
			return err
		}
		p.apply(m, sealedMD5)
		if err := m.Validate(); err != nil {
			return &ValidationError{Msg: err.Error()}
		}
		m.UpdatedAt = s.Clock.Now()
		out = m
		return tx.UpdateMerchant(ctx, m)
	})
	if err != nil {
		return nil, err
	}
	// After the update: an unknown merchant gets no key; data for the
	// platform named only comes once the patch is visible.
	if err := ensureOwners(ctx, s.Vault, oid, out.Platform); err != nil {
		return nil, err
	}
	s.forget(oid)
	return out, nil
}

func (p *MerchantPatch) apply(m *Merchant, sealedMD5 []byte) {
	p.ApplyFields(m)
	if p.MD5Key != nil {
		m.MD5Key = sealedMD5
	}
}

// ApplyFields sets every field the patch carries except the MD5 key, which
// must be sealed first (the merchant stores it only sealed).
func (p *MerchantPatch) ApplyFields(m *Merchant) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&m.Name, p.Name)
	set(&m.Platform, p.Platform)
	set(&m.SMSCode, p.SMSCode)
	if p.PublicKeys != nil {
		m.PublicKeys = *p.PublicKeys
	}
	if p.SignTypes != nil {
		m.SignTypes = *p.SignTypes
	}
	if p.IPAllowlist != nil {
		m.IPAllowlist = *p.IPAllowlist
	}
	if p.Live != nil {
		m.Live = *p.Live
	}
	if p.Limits != nil {
		m.Limits = *p.Limits
	}
	if p.Velocity != nil {
		m.Velocity = *p.Velocity
	}
	if p.NotifyExtraFields != nil {
		m.NotifyExtraFields = *p.NotifyExtraFields
	}
	if p.NotifyContentType != nil {
		m.NotifyContentType = *p.NotifyContentType
	}
	if p.Products != nil {
		m.Products = *p.Products
		if c, err := CanonicalProducts(m.Products); err == nil {
			m.Products = c // else Validate names the unknown product
		}
	}
	if p.EasypayNoSMS != nil {
		m.EasypayNoSMS = *p.EasypayNoSMS
	}
	if p.SettleDays != nil {
		m.SettleDays = *p.SettleDays
	}
	if p.PayoutLimits != nil {
		m.PayoutLimits = *p.PayoutLimits
	}
}

// Get returns a merchant (its MD5Key still sealed). ErrNotFound if unknown.
func (s *Merchants) Get(ctx context.Context, oid string) (*Merchant, error) {
	var m *Merchant
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		m, err = tx.Merchant(ctx, oid)
		return err
	})
	return m, err
}

// List returns every merchant, ordered by oid_partner.
func (s *Merchants) List(ctx context.Context) ([]*Merchant, error) {
	var ms []*Merchant
	err := s.Store.View(ctx, func(tx Tx) error {
		var err error
		ms, err = tx.Merchants(ctx)
		return err
	})
	return ms, err
}

// Auth returns the merchant with parsed keys, from a short-lived cache.
// ErrNotFound if unknown.
func (s *Merchants) Auth(ctx context.Context, oid string) (*MerchantAuth, error) {
	now := time.Now()
	s.mu.Lock()
	c, ok := s.cache[oid]
	s.mu.Unlock()
	if ok && now.Before(c.expires) {
		if c.auth == nil {
			return nil, ErrNotFound
		}
		return c.auth, nil
	}
	m, err := s.Get(ctx, oid)
	if errors.Is(err, ErrNotFound) {
		s.put(oid, nil, now)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	a := &MerchantAuth{Merchant: m}
	for _, k := range m.PublicKeys {
		pub, err := s.ParseKey(k)
		if err != nil {
			return nil, fmt.Errorf("merchant %s has an unusable key: %w", oid, err)
		}
		a.Keys = append(a.Keys, pub)
	}
	if len(m.MD5Key) > 0 {
		b, err := s.Vault.Open(ctx, oid, TableMerchants, oid, m.MD5Key)
		if err != nil {
			return nil, err
		}
		a.MD5Key = string(b)
	}
	s.put(oid, a, now)
	return a, nil
}

func (s *Merchants) put(oid string, a *MerchantAuth, now time.Time) {
	ttl := s.CacheTTL
	if ttl == 0 {
		ttl = time.Second
	}
	s.mu.Lock()
	if s.cache == nil || len(s.cache) >= maxCachedAuth {
		s.cache = make(map[string]cachedAuth)
	}
	s.cache[oid] = cachedAuth{auth: a, expires: now.Add(ttl)}
	s.mu.Unlock()
}

// Forget drops every cached merchant (after a reset).
func (s *Merchants) Forget() {
	s.mu.Lock()
	s.cache = nil
	s.mu.Unlock()
}

func (s *Merchants) forget(oid string) {
	s.mu.Lock()
	delete(s.cache, oid)
	s.mu.Unlock()
}

func (s *Merchants) prepare(ctx context.Context, m *Merchant, md5Key string) error {
	if len(m.SignTypes) == 0 {
		m.SignTypes = []string{SignRSA, SignSHA256}
	}
	products, err := CanonicalProducts(m.Products)
	if err != nil {
		return &ValidationError{Msg: err.Error()}
	}
	m.Products = products
	m.MD5Key = nil
	if md5Key != "" {
		sealed, err := s.Vault.Seal(ctx, m.OidPartner, TableMerchants, m.OidPartner, []byte(md5Key))
		if err != nil {
			return err
		}
		m.MD5Key = sealed
	}
	if err := m.Validate(); err != nil {
		return &ValidationError{Msg: err.Error()}
	}
	if err := s.checkKeys(m.PublicKeys); err != nil {
		return err
	}
	return ensureOwners(ctx, s.Vault, m.OidPartner, m.Platform)
}

// ensureOwners gives a merchant, and the platform it shares users through,
// their data keys before any of their data exists: use cases seal inside
// their transactions (Vault.SealIn), where no key may be created.
func ensureOwners(ctx context.Context, v Vault, oid, platform string) error {
	if err := v.EnsureOwner(ctx, oid); err != nil {
		return err
	}
	if platform != "" {
		return v.EnsureOwner(ctx, ScopeOwner("p:"+platform))
	}
	return nil
}

// EnsureOwners gives every owner of data its data key (at start: a
// database written by an older llgate may hold a merchant that has none).
func EnsureOwners(ctx context.Context, store Store, v Vault) error {
	if err := v.EnsureOwner(ctx, OwnerSystem); err != nil {
		return err
	}
	ms, err := view(ctx, store, func(tx Tx) ([]*Merchant, error) { return tx.Merchants(ctx) })
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := ensureOwners(ctx, v, m.OidPartner, m.Platform); err != nil {
			return err
		}
	}
	return nil
}

func (s *Merchants) checkKeys(keys []string) error {
	if len(keys) == 0 {
		return &ValidationError{Msg: "public_keys: at least one key is required"}
	}
	for i, k := range keys {
		if _, err := s.ParseKey(k); err != nil {
			return &ValidationError{Msg: fmt.Sprintf("public_keys[%d]: %v", i, err)}
		}
	}
	return nil
}
