package llgate

// The code rules, for the external tests that run them with a real vault.
var (
	SetCode      = setCode
	CheckCode    = checkCode
	CodeAccepted = codeAccepted
)

// The credit-card expiry rules.
var (
	ValidYYMM   = validYYMM
	ExpiredYYMM = expiredYYMM
)
