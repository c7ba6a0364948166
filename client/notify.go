package client

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"maps"

	"github.com/llgate/llgate/protocol"
)

// acknowledgement is the answer that stops the platform's retries.
const acknowledgement = `{"ret_code":"0000","ret_msg":"交易成功"}`

// VerifyNotification checks an asynchronous notification (a payment or a
// refund result) posted to the merchant's notify_url: the body is decoded
// strictly and its sign verified with platformKey under the notification's
// own sign_type, over every field. It returns the fields as text. A bad or
// missing signature gives an error wrapping ErrBadNotificationSignature.
//
// A verified notification is authentic but may arrive more than once (the
// platform retries until acknowledged): check oid_partner, and make acting on
// no_order or no_refund idempotent, before answering with Acknowledge.
func VerifyNotification(body []byte, platformKey *rsa.PublicKey) (map[string]string, error) {
	if platformKey == nil {
		return nil, errors.New("llgate: no platform key")
	}
	return verifyNotification(body, platformKey, "")
}

// VerifyNotification verifies a notification as this client's merchant
// receives it: RSA and SHA256withRSA with the platform key, and, for a
// merchant with an MD5 key, sign_type MD5 with that key (llgate signs the
// notifications of MD5 requests so, as LianLian does).
func (c *Client) VerifyNotification(body []byte) (map[string]string, error) {
	return verifyNotification(body, c.PlatformKey, c.MD5Key)
}

func verifyNotification(body []byte, platformKey *rsa.PublicKey, md5Key string) (map[string]string, error) {
	obj, err := protocol.Decode(body)
	if err != nil {
		return nil, fmt.Errorf("llgate: notification is not a JSON object: %w", err)
	}
	sig, signType := obj.Get("sign"), obj.Get("sign_type")
	if sig == "" {
		return nil, fmt.Errorf("%w: no sign", ErrBadNotificationSignature)
	}
	if signType == "" {
		return nil, fmt.Errorf("%w: no sign_type", ErrBadNotificationSignature)
	}
	if signType == "MD5" && md5Key != "" {
		if err := protocol.VerifyMD5(protocol.SignSource(obj), md5Key, sig); err != nil {
			return nil, fmt.Errorf("%w (sign_type MD5): %w", ErrBadNotificationSignature, err)
		}
		return fieldsOf(obj), nil
	}
	if platformKey == nil {
		return nil, errors.New("llgate: no platform key")
	}
	if err := protocol.Verify(platformKey, signType, protocol.SignSource(obj), sig); err != nil {
		return nil, fmt.Errorf("%w (sign_type %q): %w", ErrBadNotificationSignature, signType, err)
	}
	return fieldsOf(obj), nil
}

// Acknowledge returns the body a notify_url answers with (HTTP 200) once it
// has recorded a notification: {"ret_code":"0000","ret_msg":"交易成功"}.
func Acknowledge() []byte {
	return []byte(acknowledgement)
}

// NewTestNotification builds a notification body signed with platformKey,
// for a merchant's tests of its notify_url handler: sign a fake with a test
// key pair and give the handler the public half. sign_type is set to
// signType ("RSA" when empty); fields are sent as given, empty ones left out.
func NewTestNotification(platformKey *rsa.PrivateKey, fields map[string]string, signType string) ([]byte, error) {
	if platformKey == nil {
		return nil, errors.New("llgate: no platform key")
	}
	if signType == "" {
		signType = "RSA"
	}
	a := protocol.Answer{Fields: maps.Clone(fields)}
	if err := a.Sign(platformKey, signType); err != nil {
		return nil, fmt.Errorf("llgate: sign notification: %w", err)
	}
	return a.MarshalJSON()
}
