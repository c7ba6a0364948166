package protocol

import (
	llgate "github.com/llgate/llgate"
)

// IsSignType reports whether t is a sign_type llgate knows.
func IsSignType(t string) bool {
	return t == llgate.SignRSA || t == llgate.SignSHA256 || t == llgate.SignMD5
}

// SignCheck is what VerifyRequest found.
type SignCheck struct {
	Verified bool
	Keys     int // merchant keys tried (1 for the MD5 key)
	Legacy   int // the LegacySignSources variant that verified; -1: none
}

// VerifyRequest checks a request's sign against every key the merchant
// holds (several during a key rotation), then the legacy sign-source
// variants of old clients (COMPAT.md). encode, when not nil, turns each
// sign source into the bytes the merchant signed (GB18030 for a form posted
// in that charset); nil: UTF-8 as decoded. Every failure is a 1001 whose
// detail (masked) names the sign source verified. The JSON API and the
// hosted checkout share it.
func VerifyRequest(auth *llgate.MerchantAuth, f *Object, encode func(string) string) (SignCheck, error) {
	c := SignCheck{Legacy: -1}
	t, sig := f.Get("sign_type"), f.Get("sign")
	switch {
	case t == "":
		return c, llgate.Errorf(llgate.CodeBadSign, "sign_type missing")
	case !IsSignType(t):
		return c, llgate.Errorf(llgate.CodeBadSign, "sign_type %q unknown", t)
	case !auth.Merchant.AllowsSignType(t):
		return c, llgate.Errorf(llgate.CodeBadSign, "sign_type %s is not allowed for this merchant", t)
	case sig == "":
		return c, llgate.Errorf(llgate.CodeBadSign, "sign missing")
	}
	if encode == nil {
		encode = func(s string) string { return s }
	}
	src := SignSource(f)
	var ok bool
	if c.Keys, ok = verifySource(auth, t, encode(src), sig); ok {
		c.Verified = true
		return c, nil
	}
	for i, alt := range LegacySignSources(f) {
		if _, ok := verifySource(auth, t, encode(alt), sig); ok {
			c.Verified, c.Legacy = true, i
			return c, nil
		}
	}
	return c, llgate.Errorf(llgate.CodeBadSign, "signature does not verify (%s) over sign source: %s", t, llgate.MaskText(src))
}

// verifySource checks sig over src with each of the merchant's keys (its
// MD5 key for the legacy hash) and says how many it tried.
func verifySource(auth *llgate.MerchantAuth, t, src, sig string) (int, bool) {
	if t == llgate.SignMD5 {
		return 1, VerifyMD5(src, auth.MD5Key, sig) == nil
	}
	for i, k := range auth.Keys {
		if Verify(k, t, src, sig) == nil {
			return i + 1, true
		}
	}
	return len(auth.Keys), false
}
