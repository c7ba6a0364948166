package httpapi

import (
	"crypto/rsa"
	"sync"

	"github.com/llgate/llgate/protocol"
)

// sigCache keeps the signatures of failure answers. A failure carries
// nothing of the request but ret_code, ret_msg, sign_type and the merchant,
// so its sign source repeats, and a PKCS#1 v1.5 signature is deterministic:
// a cached one is the same bytes a fresh one would be. Junk (a body that is
// not JSON, an unknown merchant, a GET) then costs no private-key operation.
type sigCache struct {
	key     *rsa.PrivateKey
	metrics *Metrics
	mu      sync.Mutex
	m       map[string]string
}

// sigCacheMax bounds the cache; past it the cache starts afresh. The sign
// sources of failures are few (codes × messages × merchants × sign types).
const sigCacheMax = 4096

func newSigCache(key *rsa.PrivateKey, m *Metrics) *sigCache {
	return &sigCache{key: key, metrics: m, m: make(map[string]string)}
}

// sign is a protocol.Answer signer.
func (c *sigCache) sign(signType, source string) (string, error) {
	k := signType + "\x00" + source
	c.mu.Lock()
	sig, ok := c.m[k]
	c.mu.Unlock()
	c.metrics.signed(ok)
	if ok {
		return sig, nil
	}
	sig, err := protocol.Sign(c.key, signType, source)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if len(c.m) >= sigCacheMax {
		clear(c.m)
	}
	c.m[k] = sig
	c.mu.Unlock()
	return sig, nil
}
