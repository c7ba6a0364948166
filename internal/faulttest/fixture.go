package faulttest

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llgate/llgate/protocol"
	"github.com/llgate/llgate/vault"
)

// OidPartner is the merchant the load runs as.
const OidPartner = "201408071000001539"

// SMSCode is the merchant's fixed sandbox SMS code.
const SMSCode = "123456"

// Fixture is what every server of a run shares: the files its flags name and
// the keys the clients use.
type Fixture struct {
	Dir             string // holds the files below
	MasterKeyFile   string
	MasterKey       []byte
	PlatformKeyFile string
	MerchantsFile   string
	AdminToken      string
	MerchantKey     *rsa.PrivateKey
	PlatformKey     *rsa.PublicKey
}

// NewFixture writes a master key and the merchant file into dir and loads
// the test keys of the module at root (testdata/clients/keys).
func NewFixture(root, dir string) (*Fixture, error) {
	keys := filepath.Join(root, "testdata", "clients", "keys")
	f := &Fixture{
		Dir:             dir,
		MasterKeyFile:   filepath.Join(dir, "master.key"),
		MasterKey:       vault.GenerateMasterKey(),
		PlatformKeyFile: filepath.Join(keys, "platform_private_pkcs8.pem"),
		MerchantsFile:   filepath.Join(dir, "merchants.json"),
		AdminToken:      fmt.Sprintf("faulttest-%x", vault.GenerateMasterKey()[:8]),
	}
	if err := os.WriteFile(f.MasterKeyFile, []byte(vault.EncodeMasterKey(f.MasterKey)+"\n"), 0o600); err != nil {
		return nil, err
	}
	mk, err := readKey(filepath.Join(keys, "merchant_private_pkcs8.pem"))
	if err != nil {
		return nil, err
	}
	pk, err := readKey(f.PlatformKeyFile)
	if err != nil {
		return nil, err
	}
	f.MerchantKey, f.PlatformKey = mk, &pk.PublicKey
	// Live: the test caps (50.00 per person and month) would refuse most of
	// the load; a live merchant with empty limits has none.
	merchants := []map[string]any{{
		"oid_partner": OidPartner, "name": "faulttest merchant (TEST KEYS ONLY)",
		"public_key": protocol.MarshalPublicKeyPEM(&mk.PublicKey), "sms_code": SMSCode, "live": true,
	}}
	b, _ := json.MarshalIndent(merchants, "", "  ")
	if err := os.WriteFile(f.MerchantsFile, b, 0o600); err != nil {
		return nil, err
	}
	return f, nil
}

func readKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := protocol.ParsePrivateKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ServeArgs are the flags of `llgate serve` on db.
func (f *Fixture) ServeArgs(db string) []string {
	return []string{
		"--addr", "127.0.0.1:0", "--db", db, "--limits", "off", "--admin-token", f.AdminToken,
		"--master-key-file", f.MasterKeyFile, "--platform-key-file", f.PlatformKeyFile,
		"--merchants", f.MerchantsFile, "--log-level", "warn",
	}
}
