package console

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

type merchantsData struct {
	Merchants []*llgate.Merchant
	Platform  platformKey
}

// platformKey is llgate's public key in every form clients take: bare
// base64 SPKI (the Java client's LLianPayPublicKey), SPKI PEM (PHP and most
// others) and PKCS#1 PEM ("RSA PUBLIC KEY", older PHP code).
type platformKey struct{ Base64, PEM, PKCS1 string }

func (c *Console) platformKey() platformKey {
	k := c.cfg.PlatformKey
	return platformKey{Base64: protocol.MarshalPublicKeyBase64(k), PEM: protocol.MarshalPublicKeyPEM(k), PKCS1: protocol.MarshalPKCS1PublicKeyPEM(k)}
}

func (c *Console) merchantsPage(w http.ResponseWriter, r *http.Request) {
	ms, err := c.cfg.Merchants.List(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "merchants", "Merchants", merchantsData{Merchants: ms, Platform: c.platformKey()})
}

// merchantForm is the merchant object as the form edits it.
type merchantForm struct {
	New               bool
	OidPartner, Name  string
	PublicKeys        []string // one textarea each, plus an empty one to add a key
	SignTypes         []string
	IPAllowlist       string // one address or CIDR a line
	Live              bool
	Platform          string
	PerTxn            string
	PerDay            string
	PerMonth          string
	NotifyExtraFields bool
	SMSCode           string
	MD5Set            bool
	PhonesPerHour     int
	CardsPerHour      int
	AllSignTypes      []string
	Sandbox           bool
	Err               string
}

func (f merchantForm) FormError() string { return f.Err }

// Has says whether the form has sign type t checked.
func (f merchantForm) Has(t string) bool { return slices.Contains(f.SignTypes, t) }

func (c *Console) formOf(m *llgate.Merchant) merchantForm {
	f := merchantForm{
		OidPartner: m.OidPartner, Name: m.Name, PublicKeys: append(append([]string(nil), m.PublicKeys...), ""),
		SignTypes: m.SignTypes, IPAllowlist: strings.Join(m.IPAllowlist, "\n"), Live: m.Live, Platform: m.Platform,
		PerTxn: amount(m.Limits.PerTxn), PerDay: amount(m.Limits.PerDay), PerMonth: amount(m.Limits.PerMonth),
		NotifyExtraFields: m.NotifyExtraFields, SMSCode: m.SMSCode, MD5Set: len(m.MD5Key) > 0,
		PhonesPerHour: m.Velocity.PhonesPerHour, CardsPerHour: m.Velocity.CardsPerHour,
	}
	f.AllSignTypes, f.Sandbox = []string{llgate.SignRSA, llgate.SignSHA256, llgate.SignMD5}, c.sandbox()
	return f
}

func amount(a llgate.Amount) string {
	if a == 0 {
		return ""
	}
	return protocol.FormatAmount(a)
}

func (c *Console) merchantNewPage(w http.ResponseWriter, r *http.Request) {
	f := c.formOf(&llgate.Merchant{SignTypes: []string{llgate.SignRSA, llgate.SignSHA256}})
	f.New = true
	c.render(w, r, http.StatusOK, "merchant", "New merchant", f)
}

func (c *Console) merchantPage(w http.ResponseWriter, r *http.Request) {
	m, err := c.cfg.Merchants.Get(r.Context(), r.PathValue("oid"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "merchant", "Merchant "+m.OidPartner, c.formOf(m))
}

// patchOf reads the posted form into a patch of every field the form has.
// md5_key: empty keeps the key, "remove" takes it away.
func patchOf(r *http.Request) (llgate.MerchantPatch, string, error) {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	var keys []string
	for _, k := range r.PostForm["public_key"] {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	var allow []string
	for _, a := range strings.Fields(v("ip_allowlist")) {
		allow = append(allow, a)
	}
	signTypes := r.PostForm["sign_type"]
	name, platform, smsCode := v("name"), v("platform"), v("sms_code")
	live, extra := r.PostFormValue("live") == "on", r.PostFormValue("notify_extra_fields") == "on"
	p := llgate.MerchantPatch{Name: &name, PublicKeys: &keys, SignTypes: &signTypes, IPAllowlist: &allow,
		Live: &live, Platform: &platform, NotifyExtraFields: &extra, SMSCode: &smsCode}
	var l llgate.Limits
	for _, x := range []struct {
		name string
		dst  *llgate.Amount
	}{{"per_txn", &l.PerTxn}, {"per_day", &l.PerDay}, {"per_month", &l.PerMonth}} {
		if s := v(x.name); s != "" {
			a, err := protocol.ParseAmount(x.name, s)
			if err != nil {
				return p, "", &llgate.ValidationError{Msg: "limits." + x.name + ": not an amount like 5000.00"}
			}
			*x.dst = a
		}
	}
	p.Limits = &l
	vel, err := velocityOf(v("phones_per_hour"), v("cards_per_hour"))
	if err != nil {
		return p, "", err
	}
	p.Velocity = &vel
	md5 := v("md5_key")
	switch {
	case r.PostFormValue("md5_remove") == "on":
		empty := ""
		p.MD5Key = &empty
	case md5 != "":
		p.MD5Key = &md5
	}
	return p, md5, nil
}

func (c *Console) merchantCreate(w http.ResponseWriter, r *http.Request) {
	p, md5, err := patchOf(r)
	oid := strings.TrimSpace(r.PostFormValue("oid_partner"))
	var m *llgate.Merchant
	if err == nil {
		m = &llgate.Merchant{OidPartner: oid}
		p.ApplyFields(m)
		m, err = c.cfg.Merchants.Create(r.Context(), m, md5)
	}
	if err != nil {
		f := c.formOf(&llgate.Merchant{OidPartner: oid})
		f.New, f.Err = true, formError(err)
		c.render(w, r, http.StatusBadRequest, "merchant", "New merchant", f)
		return
	}
	c.cfg.Audit(r, "merchant.create", "oid_partner", m.OidPartner, "fields", c.changes(nil, m, md5 != ""), "via", "console")
	http.Redirect(w, r, "/console/merchants/"+m.OidPartner+"?done=Created.", http.StatusSeeOther)
}

func (c *Console) merchantUpdate(w http.ResponseWriter, r *http.Request) {
	oid := r.PathValue("oid")
	p, _, err := patchOf(r)
	var before, m *llgate.Merchant
	if err == nil {
		if before, err = c.cfg.Merchants.Get(r.Context(), oid); err == nil {
			m, err = c.cfg.Merchants.Patch(r.Context(), oid, p)
		}
	}
	if errors.Is(err, llgate.ErrNotFound) {
		c.fail(w, r, err)
		return
	}
	if err != nil {
		old, gerr := c.cfg.Merchants.Get(r.Context(), oid)
		if gerr != nil {
			c.fail(w, r, gerr)
			return
		}
		f := c.formOf(old)
		f.Err = formError(err)
		c.render(w, r, http.StatusBadRequest, "merchant", "Merchant "+oid, f)
		return
	}
	c.cfg.Audit(r, "merchant.update", "oid_partner", m.OidPartner, "fields", c.changes(before, m, p.MD5Key != nil), "via", "console")
	http.Redirect(w, r, "/console/merchants/"+m.OidPartner+"?done=Saved.", http.StatusSeeOther)
}

// formError is what a form shows for a use case's refusal.
func formError(err error) string {
	var ve *llgate.ValidationError
	switch {
	case errors.As(err, &ve):
		return ve.Msg
	case errors.Is(err, llgate.ErrConflict):
		return "a merchant with this oid_partner exists already"
	}
	return "could not save: " + err.Error()
}

// velocityOf reads the velocity caps ("" = the default).
func velocityOf(phones, cards string) (llgate.Velocity, error) {
	var v llgate.Velocity
	for _, x := range []struct {
		s   string
		dst *int
	}{{phones, &v.PhonesPerHour}, {cards, &v.CardsPerHour}} {
		if x.s == "" {
			continue
		}
		n, err := strconv.Atoi(x.s)
		if err != nil || n < 0 {
			return v, &llgate.ValidationError{Msg: "velocity caps are whole numbers (empty or 0: the default)"}
		}
		*x.dst = n
	}
	return v, nil
}

// changes names the fields a form changed (never their values).
func (c *Console) changes(before, after *llgate.Merchant, md5 bool) []string {
	if c.cfg.Changes == nil {
		return nil
	}
	return c.cfg.Changes(before, after, md5)
}
