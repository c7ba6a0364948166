// Package protocol is the LianLian Pay wire format: strict JSON decoding of
// request bodies, the sign source, MD5withRSA / SHA256withRSA signatures and
// the legacy keyed MD5, key loading in every form merchants hold keys, the
// pay_load envelope, money and date codecs, ids, the return-code table and the
// answers llgate signs. It is shared by the server and the Go SDK and imports
// only the standard library and the domain root.
//
// Crypto failures are deliberately vague to callers (ErrVerification,
// ErrEnvelope) and precise in the wrapped detail, which is for operator logs
// only.
package protocol
