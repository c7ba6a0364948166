package protocol

import llgate "github.com/llgate/llgate"

// The generators live in the domain (llgate); these names keep the wire
// package complete for SDK users.

// NewNoAgree returns a 16-digit agreement number, first digit 1-9.
func NewNoAgree() string { return llgate.NewNoAgree() }

// NewOidPaybill returns a 16-digit LianLian payment number, first digit 1-9.
func NewOidPaybill() string { return llgate.NewOidPaybill() }

// NewToken returns 32 upper-case hex characters (128 random bits).
func NewToken() string { return llgate.NewToken() }
