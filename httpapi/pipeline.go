package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"runtime/debug"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// Request is a merchant request that passed the pipeline: its merchant is
// known and allowed, its envelope (if any) opened, its signature verified,
// its fields valid for its endpoint.
type Request struct {
	Endpoint  *protocol.Endpoint
	Merchant  *llgate.MerchantAuth
	Fields    *protocol.Object // the signed fields (the envelope's inside, if any)
	SignType  string
	Encrypted bool
	Addr      netip.Addr // the client, as --trusted-proxies resolves it
}

// Answer is what an endpoint returns; the pipeline signs and sends it.
type Answer = protocol.Answer

// NewAnswer returns an answer with ret_code and its message.
func NewAnswer(code string, fields map[string]string) *Answer {
	if fields == nil {
		fields = make(map[string]string)
	}
	fields["ret_code"] = code
	fields["ret_msg"] = protocol.RetMsg(code, "")
	return &Answer{Fields: fields}
}

// exchange is one merchant request on its way through the pipeline.
// What it holds of the request is read again by the request log's writer
// (detailOf), so nothing may change it once the answer is sent.
type exchange struct {
	route    string
	addr     netip.Addr
	oid      string // as sent, once it has the form of an oid_partner
	merchant *llgate.MerchantAuth
	signType string
	reason   string // why it failed, masked, for the request log

	fields    *protocol.Object // the decoded request: the envelope's inside once opened
	encrypted bool
	envelope  string // RequestDetail.Envelope
	// echoNoOrder: a payout or confirm whose envelope opened answers its
	// failures with the no_order (CONTRACT-easypay-payouts §4.8).
	echoNoOrder bool
	sign        signCheck // what verify found
}

// signCheck is what verify found, for the signature doctor; the rest of
// llgate.SignCheck is built from the fields, off the request path.
type signCheck struct {
	reached  bool // the request reached the signature check
	verified bool
	keys     int // merchant keys tried
	legacy   int // the LegacySignSources variant that verified; -1: none
}

// merchantAPI serves the endpoint e on its paths.
//
// The order of the steps keeps junk cheap: the per-address rate limit comes
// before the body is read, and every failure answer carries nothing of the
// request but its merchant and sign_type, so its signature comes from a
// small cache (sigCache) instead of a private-key operation per request.
func (s *Server) merchantAPI(e *protocol.Endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		x := &exchange{route: e.Path, signType: llgate.SignRSA, addr: s.clientAddr(r)}
		var ans *Answer
		func() {
			defer func() {
				if v := recover(); v != nil {
					s.cfg.Logger.Error("panic in merchant API", "route", x.route, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
					x.reason = "internal error (panic)"
					ans = s.errorAnswer(x, &llgate.Error{Code: llgate.CodeSystem})
				}
			}()
			ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
			defer cancel()
			var err error
			ans, err = s.process(ctx, x, r, e)
			if err != nil {
				ans = s.errorAnswer(x, err)
			}
		}()
		code := ans.Fields["ret_code"]
		body, err := s.sign(x, ans)
		if err != nil {
			s.cfg.Logger.Error("sign answer", "route", x.route, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		took := time.Since(start)
		s.cfg.Metrics.observe(x.route, code, took)
		s.cfg.Logger.Debug("request", "route", x.route, "oid_partner", x.oid, "ret_code", code,
			"reason", x.reason, "ms", took.Milliseconds())
		if x.merchant == nil && !s.limiter.allowAnonLog(x.addr) {
			s.cfg.Metrics.logDropped()
			return
		}
		var detail func() *llgate.RequestDetail
		if s.cfg.Log.Enabled() {
			detail = s.detailOf(x, body)
		}
		s.cfg.Log.Add(llgate.RequestLogEntry{At: s.now(), Path: x.route, OidPartner: x.oid, RetCode: code, Reason: x.reason,
			LatencyMS: took.Milliseconds()}, detail)
	})
}

func (s *Server) process(ctx context.Context, x *exchange, r *http.Request, e *protocol.Endpoint) (*Answer, error) {
	if s.cfg.Limits && !s.limiter.allowAddr(x.addr) {
		return nil, llgate.Errorf(llgate.CodeRateLimited, "rate limited: address %s", x.addr)
	}
	if r.Method != http.MethodPost {
		return nil, llgate.Errorf(llgate.CodeUnparseable, "method %s: the API takes POST", r.Method)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.BodyCap+1))
	if err != nil {
		return nil, llgate.Errorf(llgate.CodeUnparseable, "reading the body: %v", err)
	}
	if int64(len(body)) > s.cfg.BodyCap {
		return nil, llgate.Errorf(llgate.CodeBadBody, "body over %d bytes", s.cfg.BodyCap)
	}
	outer, err := protocol.Decode(body)
	if err != nil {
		return nil, err
	}
	x.fields = outer
	if t := outer.Get("sign_type"); isSignType(t) {
		x.signType = t
	}
	oid := outer.Get("oid_partner")
	if oid == "" {
		return nil, llgate.FieldError("oid_partner", "missing")
	}
	if !llgate.ValidOidPartner(oid) {
		return nil, llgate.Errorf(llgate.CodeMerchant, "oid_partner is not 18 digits")
	}
	x.oid = oid
	auth, err := s.cfg.Merchants.Auth(ctx, oid)
	if errors.Is(err, llgate.ErrNotFound) {
		return nil, llgate.Errorf(llgate.CodeMerchant, "no merchant %s", oid)
	}
	if err != nil {
		return nil, err
	}
	x.merchant = auth
	if !auth.Merchant.AllowsAddr(x.addr) {
		return nil, llgate.Errorf(llgate.CodeBadIP, "address %s is not in the merchant's ip_allowlist", x.addr)
	}
	if s.cfg.Limits && !s.limiter.allowMerchant(oid) {
		return nil, llgate.Errorf(llgate.CodeRateLimited, "rate limited: merchant")
	}
	fields, encrypted := outer, false
	if e.EnvelopeOnly && !outer.Has("pay_load") {
		return nil, llgate.Errorf(llgate.CodeDecrypt, "this endpoint takes a pay_load envelope only")
	}
	if e.OpensEnvelope() && outer.Has("pay_load") {
		if fields, err = s.openEnvelope(x, outer); err != nil {
			return nil, err
		}
		encrypted = true
		x.fields, x.encrypted, x.envelope = fields, true, envelopeOpened
		x.echoNoOrder = e.EnvelopeOnly
		if t := fields.Get("sign_type"); isSignType(t) {
			x.signType = t
		}
		if inner := fields.Get("oid_partner"); inner != oid {
			return nil, llgate.Errorf(llgate.CodeBadSign, "oid_partner inside pay_load differs from the outer one")
		}
	}
	if err := s.verify(x, fields); err != nil {
		return nil, err
	}
	e = s.selectEndpoint(e, fields)
	x.route = e.Path
	if e.Product != "" && !auth.Merchant.Allows(e.Product) {
		return nil, llgate.Errorf(e.ProductCode, "the merchant lacks the %s product", e.Product)
	}
	if err := protocol.Validate(e, fields); err != nil {
		return nil, err
	}
	if err := s.checkNotifyURL(ctx, e, fields); err != nil {
		return nil, err
	}
	return s.eps[e.Name](ctx, &Request{Endpoint: e, Merchant: auth, Fields: fields, SignType: x.signType, Encrypted: encrypted, Addr: x.addr})
}

// selectEndpoint picks, among the endpoints served on e's path, the one the
// request is for: pay verify posted to the pay apply path (COMPAT.md).
func (s *Server) selectEndpoint(e *protocol.Endpoint, f *protocol.Object) *protocol.Endpoint {
	for _, o := range protocol.Endpoints {
		if o.SharedWith == e.Name && o.Selects(f) {
			return o
		}
	}
	return e
}

// openEnvelope opens the pay_load and decodes its inside; x.envelope says
// which step failed.
func (s *Server) openEnvelope(x *exchange, outer *protocol.Object) (*protocol.Object, error) {
	plain, err := protocol.OpenEnvelope(s.cfg.PlatformKey, outer.Get("pay_load"), s.cfg.CheckHMAC)
	if err != nil {
		// One code, one message for every envelope failure: no oracle. The
		// step that failed goes to the operator's log and the sandbox's
		// request log only.
		s.cfg.Logger.Info("pay_load rejected", "err", err.Error())
		x.envelope = envelopeFailed(err)
		return nil, llgate.Errorf(llgate.CodeDecrypt, "pay_load cannot be opened")
	}
	inner, err := protocol.Decode(plain)
	if err != nil {
		s.cfg.Logger.Info("pay_load inner JSON rejected", "err", err.Error())
		x.envelope = envelopeNotOpened + "inner JSON: " + llgate.MaskText(innerReason(err))
		return nil, llgate.Errorf(llgate.CodeDecrypt, "pay_load cannot be opened")
	}
	return inner, nil
}

// verify checks the request's signature (protocol.VerifyRequest, which the
// hosted checkout shares) and records what it found for the signature
// doctor.
func (s *Server) verify(x *exchange, f *protocol.Object) error {
	c, err := protocol.VerifyRequest(x.merchant, f, nil)
	x.sign = signCheck{reached: true, verified: c.Verified, keys: c.Keys, legacy: c.Legacy}
	if c.Legacy >= 0 {
		s.cfg.Logger.Info("signature verified over a legacy sign source", "oid_partner", x.merchant.Merchant.OidPartner)
	}
	return err
}

// errorAnswer turns err into a failure answer and records why.
func (s *Server) errorAnswer(x *exchange, err error) *Answer {
	var e *llgate.Error
	if !errors.As(err, &e) {
		s.cfg.Logger.Error("merchant API failed", "route", x.route, "err", err.Error())
		e = &llgate.Error{Code: llgate.CodeSystem, Detail: "internal error"}
	} else if e.Code == llgate.CodeSystem && e.Err != nil {
		s.cfg.Logger.Error("merchant API failed", "route", x.route, "err", e.Error())
	}
	x.reason = llgate.MaskText(protocol.Reason(e))
	a := &Answer{Fields: map[string]string{
		"ret_code": e.Code,
		"ret_msg":  protocol.RetMsg(e.Code, e.Field),
	}}
	if x.merchant != nil {
		a.Fields["oid_partner"] = x.merchant.Merchant.OidPartner
	}
	if x.echoNoOrder {
		if no := x.fields.Get("no_order"); protocol.ValidateOrderNo("no_order", no) == nil {
			a.Fields["no_order"] = no
		}
	}
	return a
}

// sign signs the answer with the platform key and the request's sign_type
// (RSA when unknown), or with the merchant's MD5 key for the legacy hash.
// Failures come from the signature cache: their sign sources repeat.
func (s *Server) sign(x *exchange, a *Answer) ([]byte, error) {
	t := x.signType
	switch {
	case t == llgate.SignMD5 && x.merchant != nil && x.merchant.MD5Key != "":
		a.SignMD5(x.merchant.MD5Key)
	default:
		if t == llgate.SignMD5 {
			t = llgate.SignRSA
		}
		sign := s.signFresh
		if failureShape(a) {
			sign = s.sigs.sign
		}
		if err := a.SignWith(t, sign); err != nil {
			return nil, err
		}
	}
	return a.MarshalJSON()
}

// failureShape says whether the answer carries nothing but what every
// failure carries, so its signature may come from the cache.
func failureShape(a *Answer) bool {
	if len(a.Unsigned) > 0 {
		return false
	}
	for k := range a.Fields {
		switch k {
		case "ret_code", "ret_msg", "oid_partner", "sign_type", "sign":
		default:
			return false
		}
	}
	return true
}

// signFresh signs with the platform key, uncached.
func (s *Server) signFresh(signType, source string) (string, error) {
	s.cfg.Metrics.signed(false)
	return protocol.Sign(s.cfg.PlatformKey, signType, source)
}

func isSignType(t string) bool { return protocol.IsSignType(t) }

// answer builds an endpoint's answer by its table entry: of fields, the
// endpoint's answer fields (signed, empty ones left out); of unsigned, its
// fields outside the signature. A field the table does not list is not
// sent: the table is what the endpoint answers.
func (r *Request) answer(code string, fields map[string]string, unsigned map[string]any) *Answer {
	a := NewAnswer(code, nil)
	for _, k := range r.Endpoint.Answer {
		if v := fields[k]; v != "" {
			a.Fields[k] = v
		}
	}
	for k, v := range unsigned {
		if r.Endpoint.IsUnsigned(k) {
			if a.Unsigned == nil {
				a.Unsigned = map[string]any{}
			}
			a.Unsigned[k] = v
		}
	}
	return a
}
