package vault

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// GenerateMasterKey returns a new random 32-byte master key.
func GenerateMasterKey() []byte {
	k := make([]byte, MasterKeySize)
	rand.Read(k)
	return k
}

// EncodeMasterKey returns k as 64 hex characters, the form written to key
// files.
func EncodeMasterKey(k []byte) string {
	return hex.EncodeToString(k)
}

// ParseMasterKey parses a master key given as 64 hex characters or as
// base64 (standard, padded or not) of 32 bytes. Surrounding whitespace is
// ignored. Errors never repeat the input.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*MasterKeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == MasterKeySize {
			return k, nil
		}
	}
	return nil, errors.New("vault: master key must be 64 hex characters or base64 of 32 bytes")
}

// LoadOrCreateMasterKeyFile reads the master key from path, or, when the file
// does not exist, creates it with a new key and mode 0600. Two processes
// racing to create it end up with the same key: the file appears atomically
// with its full content, and the loser reads the winner's.
func LoadOrCreateMasterKeyFile(path string) (key []byte, created bool, err error) {
	key, err = readMasterKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key = GenerateMasterKey()
	content := []byte(EncodeMasterKey(key) + "\n")
	err = createExclusive(path, content)
	if errors.Is(err, fs.ErrExist) {
		key, err = readMasterKeyFileSettled(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return key, true, nil
}

func readMasterKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vault: master key file: %w", err)
	}
	k, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return k, nil
}

// readMasterKeyFileSettled reads a key file another process has just created.
// With the hard-link path the content is complete at once; the O_EXCL
// fallback can expose an empty file for an instant, so an unparseable file
// is read again for up to a second.
func readMasterKeyFileSettled(path string) ([]byte, error) {
	deadline := time.Now().Add(time.Second)
	for {
		k, err := readMasterKeyFile(path)
		if err == nil || time.Now().After(deadline) {
			return k, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// createExclusive creates path with content, failing with fs.ErrExist if it
// is already there. It writes a temporary file in the same directory and
// hard-links it into place, so no reader ever sees a partial file; where
// hard links are not supported it falls back to O_EXCL.
func createExclusive(path string, content []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("vault: create master key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := writeSync(tmp, content); err != nil {
		return err
	}
	err = os.Link(tmpName, path)
	switch {
	case err == nil:
		syncDir(dir)
		return nil
	case errors.Is(err, fs.ErrExist):
		return fs.ErrExist
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fs.ErrExist
	}
	if err != nil {
		return fmt.Errorf("vault: create master key file: %w", err)
	}
	if err := writeSync(f, content); err != nil {
		os.Remove(path)
		return err
	}
	syncDir(dir)
	return nil
}

// writeSync writes, syncs and closes f. CreateTemp already made it 0600.
func writeSync(f *os.File, content []byte) error {
	_, err := f.Write(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("vault: write master key file: %w", err)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
