package llgate

import (
	"errors"
	"fmt"
)

// Error is the one error type of the domain. Code is the LianLian return code
// the merchant sees (for example "1004"); Field names the offending request
// field for 1004; Detail is for the operator's log and the sandbox request log
// only, and must never hold card data.
type Error struct {
	Code   string
	Field  string
	Detail string
	Err    error
}

func (e *Error) Error() string {
	s := "llgate " + e.Code
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given return code and operator detail.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// FieldError is a 1004 naming the missing or malformed field.
func FieldError(field, detail string) *Error {
	return &Error{Code: CodeBadField, Field: field, Detail: detail}
}

// ErrorCode returns the return code carried by err, or 9999 for anything that
// is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeSystem
}

// Store errors. Stores return these (wrapped or not); use cases turn them into
// return codes.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Return codes llgate produces for its own rules (CONTRACT.md §5). The
// complete table with messages lives in package protocol.
const (
	CodeOK             = "0000"
	CodeTokenInvalid   = "1000"
	CodeBadSign        = "1001"
	CodeDuplicateOrder = "1002"
	CodeBadField       = "1004"
	CodeBadIP          = "1008"
	CodeUnparseable    = "1012"
	CodeMerchant       = "3001"
	CodeNoProduct      = "3010" // the merchant lacks the product line
	CodeNoAgreement    = "3003"
	CodeDecrypt        = "4007"
	CodeSMSSent        = "8888"
	CodeNoRecord       = "8901"
	CodeBadBody        = "9901"
	CodeRateLimited    = "9903"
	CodeSystem         = "9999"
)

// Return codes of card binding.
const (
	CodeCardInvalid     = "1100"
	CodeNoIssuer        = "1102"
	CodeCardExpiry      = "1103"
	CodeDuplicateBind   = "3009"
	CodeCardBinFailed   = "5001"
	CodePayTypeMismatch = "5601"
	CodeUserMismatch    = "7018"
	CodeWrongSMSCode    = "9700"
	CodeTooManyWrong    = "9702"
	CodeSMSCodeExpired  = "9703"
	CodeSMSFailed       = "9704"
	CodeCardUnsupported = "9912"
)

// Return codes of payments and refunds.
const (
	CodeLimitDay   = "1014"
	CodeLimitMonth = "1016"
	CodeLimitTxn   = "1019"
	CodeClosed     = "2006"
	CodePaid       = "2007"
	CodeProcessing = "2008"
	CodeNoOriginal = "5002"
	CodeOverRefund = "5007"
	CodeNotPaid    = "5008"
	// CodeBalanceShort: a refund the merchant's amt_unsettle and amt_balance
	// together do not cover (CONTRACT-easypay-payouts §4.12).
	CodeBalanceShort = "5006"
)

// Return codes of pre-authorisation (CONTRACT-easypay-payouts §4.14).
const (
	CodeBadAmount     = "7017" // capture or cancel amount out of range
	CodeCaptureFailed = "8104" // 扣款失败
	CodeCancelFailed  = "5005" // the cancel was refused
)

// CodeFailed is a payment that failed for a reason the issuer did not name.
const CodeFailed = "1005"
