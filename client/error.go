package client

import (
	"errors"
	"strconv"
)

// Error is a business answer other than success (ret_code 0000) or "SMS sent"
// (8888). The answer was signed by the platform and verified.
type Error struct {
	RetCode string
	RetMsg  string
	// Answer is every top-level field of the answer.
	Answer map[string]string
}

func (e *Error) Error() string {
	if e.RetCode == "" {
		return "llgate: answer without ret_code"
	}
	return "llgate: " + e.RetCode + " " + e.RetMsg
}

// ErrBadAnswerSignature means an answer's sign is missing or does not verify
// with the client's PlatformKey: the answer may not come from the platform.
var ErrBadAnswerSignature = errors.New("llgate: answer signature does not verify")

// ErrBadNotificationSignature means a notification's sign is missing or does
// not verify with the platform key. Answer such a request with an error and
// do not act on it.
var ErrBadNotificationSignature = errors.New("llgate: notification signature does not verify")

// StatusError is an answer with an HTTP status other than 200. LianLian and
// llgate answer every business outcome, errors included, with 200, so this
// means something in between (a proxy, a wrong URL, an outage).
type StatusError struct {
	StatusCode int
	Body       string // the first bytes of the body
}

func (e *StatusError) Error() string {
	s := "llgate: HTTP " + strconv.Itoa(e.StatusCode)
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}
