package httpapi

import (
	"net/http"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// MerchantJSON is the merchant object of the admin API and the --merchants
// file (CONTRACT.md §2). Pointer fields tell PATCH what was sent.
type MerchantJSON struct {
	OidPartner        *string       `json:"oid_partner,omitempty"`
	Name              *string       `json:"name,omitempty"`
	PublicKey         *string       `json:"public_key,omitempty"` // shorthand for public_keys
	PublicKeys        *[]string     `json:"public_keys,omitempty"`
	SignTypes         *[]string     `json:"sign_types,omitempty"`
	IPAllowlist       *[]string     `json:"ip_allowlist,omitempty"`
	Live              *bool         `json:"live,omitempty"`
	Platform          *string       `json:"platform,omitempty"`
	Limits            *LimitsJSON   `json:"limits,omitempty"`
	Velocity          *VelocityJSON `json:"velocity,omitempty"`
	NotifyExtraFields *bool         `json:"notify_extra_fields,omitempty"`
	NotifyContentType *string       `json:"notify_content_type,omitempty"`
	Products          *[]string     `json:"products,omitempty"`
	EasypayNoSMS      *bool         `json:"easypay_no_sms,omitempty"`
	SettleDays        *int          `json:"settle_days,omitempty"`
	PayoutLimits      *LimitsJSON   `json:"payout_limits,omitempty"`
	SMSCode           *string       `json:"sms_code,omitempty"`
	MD5Key            *string       `json:"md5_key,omitempty"`
}

// LimitsJSON holds amounts as the wire's decimal strings; "" = no cap.
type LimitsJSON struct {
	PerTxn   string `json:"per_txn"`
	PerDay   string `json:"per_day"`
	PerMonth string `json:"per_month"`
}

// VelocityJSON holds the merchant's velocity caps, per hour, counted per
// merchant and per client address; 0 (or absent) = the server's default.
// Like limits, the object replaces the previous setting as a whole.
type VelocityJSON struct {
	PhonesPerHour int `json:"phones_per_hour"`
	CardsPerHour  int `json:"cards_per_hour"`
}

// merchantOut is the merchant object as the admin API answers it. The MD5
// key is a secret: the answer says only whether one is set.
type merchantOut struct {
	OidPartner        string       `json:"oid_partner"`
	Name              string       `json:"name"`
	PublicKeys        []string     `json:"public_keys"`
	SignTypes         []string     `json:"sign_types"`
	IPAllowlist       []string     `json:"ip_allowlist"`
	Live              bool         `json:"live"`
	Platform          string       `json:"platform"`
	Limits            LimitsJSON   `json:"limits"`
	Velocity          VelocityJSON `json:"velocity"`
	NotifyExtraFields bool         `json:"notify_extra_fields"`
	NotifyContentType string       `json:"notify_content_type"`
	Products          []string     `json:"products"`
	EasypayNoSMS      bool         `json:"easypay_no_sms"`
	SettleDays        int          `json:"settle_days"`
	PayoutLimits      LimitsJSON   `json:"payout_limits"`
	SMSCode           string       `json:"sms_code"`
	MD5Key            string       `json:"md5_key"`
	CreatedAt         string       `json:"created_at"`
	UpdatedAt         string       `json:"updated_at"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func merchantJSON(m *llgate.Merchant) merchantOut {
	out := merchantOut{
		OidPartner: m.OidPartner, Name: m.Name, PublicKeys: nonNil(m.PublicKeys),
		SignTypes: nonNil(m.SignTypes), IPAllowlist: nonNil(m.IPAllowlist), Live: m.Live,
		Platform: m.Platform, NotifyExtraFields: m.NotifyExtraFields, SMSCode: m.SMSCode,
		NotifyContentType: m.ContentType(), Products: nonNil(m.Products), EasypayNoSMS: m.EasypayNoSMS,
		SettleDays: m.SettleDays,
		PayoutLimits: LimitsJSON{
			PerTxn: formatLimit(m.PayoutLimits.PerTxn), PerDay: formatLimit(m.PayoutLimits.PerDay),
			PerMonth: formatLimit(m.PayoutLimits.PerMonth),
		},
		Limits: LimitsJSON{
			PerTxn: formatLimit(m.Limits.PerTxn), PerDay: formatLimit(m.Limits.PerDay),
			PerMonth: formatLimit(m.Limits.PerMonth),
		},
		Velocity:  VelocityJSON{PhonesPerHour: m.Velocity.PhonesPerHour, CardsPerHour: m.Velocity.CardsPerHour},
		CreatedAt: m.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		UpdatedAt: m.UpdatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
	}
	if len(m.MD5Key) > 0 {
		out.MD5Key = "********"
	}
	return out
}

func formatLimit(a llgate.Amount) string {
	if a == 0 {
		return ""
	}
	return protocol.FormatAmount(a)
}

func parseLimit(name, s string) (llgate.Amount, error) {
	if s == "" {
		return 0, nil
	}
	a, err := protocol.ParseAmount(name, s)
	if err != nil {
		return 0, &llgate.ValidationError{Msg: "limits." + name + ": not an amount like 5000.00"}
	}
	return a, nil
}

func (j *LimitsJSON) limits() (llgate.Limits, error) {
	var l llgate.Limits
	var err error
	if l.PerTxn, err = parseLimit("per_txn", j.PerTxn); err != nil {
		return l, err
	}
	if l.PerDay, err = parseLimit("per_day", j.PerDay); err != nil {
		return l, err
	}
	l.PerMonth, err = parseLimit("per_month", j.PerMonth)
	return l, err
}

// Patch converts the object to a patch of the fields it carries.
func (j *MerchantJSON) Patch() (llgate.MerchantPatch, error) {
	p := llgate.MerchantPatch{
		Name: j.Name, PublicKeys: j.PublicKeys, SignTypes: j.SignTypes, IPAllowlist: j.IPAllowlist,
		Live: j.Live, Platform: j.Platform, NotifyExtraFields: j.NotifyExtraFields,
		NotifyContentType: j.NotifyContentType, Products: j.Products, EasypayNoSMS: j.EasypayNoSMS,
		SettleDays: j.SettleDays, SMSCode: j.SMSCode, MD5Key: j.MD5Key,
	}
	if j.PublicKey != nil {
		if j.PublicKeys != nil {
			return p, &llgate.ValidationError{Msg: "give public_key or public_keys, not both"}
		}
		keys := []string{*j.PublicKey}
		p.PublicKeys = &keys
	}
	if j.Limits != nil {
		l, err := j.Limits.limits()
		if err != nil {
			return p, err
		}
		p.Limits = &l
	}
	if j.PayoutLimits != nil {
		l, err := j.PayoutLimits.limits()
		if err != nil {
			return p, err
		}
		p.PayoutLimits = &l
	}
	if j.Velocity != nil {
		p.Velocity = &llgate.Velocity{PhonesPerHour: j.Velocity.PhonesPerHour, CardsPerHour: j.Velocity.CardsPerHour}
	}
	return p, nil
}

// Merchant converts a full object (create, --merchants file) to a merchant
// with the contract's defaults, and returns its plaintext MD5 key.
func (j *MerchantJSON) Merchant() (*llgate.Merchant, string, error) {
	if j.OidPartner == nil {
		return nil, "", &llgate.ValidationError{Msg: "oid_partner is required"}
	}
	p, err := j.Patch()
	if err != nil {
		return nil, "", err
	}
	m := &llgate.Merchant{OidPartner: *j.OidPartner, SettleDays: llgate.DefaultSettleDays}
	p.ApplyFields(m)
	md5Key := ""
	if p.MD5Key != nil {
		md5Key = *p.MD5Key
	}
	return m, md5Key, nil
}

func (s *Server) handleMerchantCreate(w http.ResponseWriter, r *http.Request) {
	var j MerchantJSON
	if err := decodeAdmin(r, &j); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	m, md5Key, err := j.Merchant()
	if err == nil {
		m, err = s.cfg.Merchants.Create(r.Context(), m, md5Key)
	}
	if err != nil {
		s.storeError(w, err)
		return
	}
	out := merchantJSON(m)
	s.audit(r, "merchant.create", "oid_partner", m.OidPartner, "fields", changedFields(merchantOut{}, out, len(m.MD5Key) > 0))
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) handleMerchantList(w http.ResponseWriter, r *http.Request) {
	ms, err := s.cfg.Merchants.List(r.Context())
	if err != nil {
		s.storeError(w, err)
		return
	}
	out := make([]merchantOut, 0, len(ms))
	for _, m := range ms {
		out = append(out, merchantJSON(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"merchants": out})
}

func (s *Server) handleMerchantGet(w http.ResponseWriter, r *http.Request) {
	m, err := s.cfg.Merchants.Get(r.Context(), r.PathValue("oid"))
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, merchantJSON(m))
}

func (s *Server) handleMerchantPatch(w http.ResponseWriter, r *http.Request) {
	var j MerchantJSON
	if err := decodeAdmin(r, &j); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	oid := r.PathValue("oid")
	if j.OidPartner != nil && *j.OidPartner != oid {
		writeError(w, http.StatusBadRequest, "oid_partner cannot change")
		return
	}
	p, err := j.Patch()
	var before, m *llgate.Merchant
	if err == nil {
		before, err = s.cfg.Merchants.Get(r.Context(), oid)
	}
	if err == nil {
		m, err = s.cfg.Merchants.Patch(r.Context(), oid, p)
	}
	if err != nil {
		s.storeError(w, err)
		return
	}
	out := merchantJSON(m)
	s.audit(r, "merchant.update", "oid_partner", oid, "fields", changedFields(merchantJSON(before), out, p.MD5Key != nil))
	writeJSON(w, http.StatusOK, out)
}
