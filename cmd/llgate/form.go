package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html/template"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

const formUsage = `usage: llgate form --oid OID --key FILE [flags] [field=value ...]

Prints an HTML page whose form posts a signed Easy Payment checkout entry to
llgate and submits itself: save it, open it in a browser, pay by hand.
WEB (default): one input per field, to /payment/bankgateway.htm; --h5: one
input req_data (the signed JSON), to /payment.htm. Fields given as
field=value replace the defaults (an empty value removes the field).

defaults: version=1.0 user_id=form-user busi_partner=101001
  no_order=form-<time> dt_order=timestamp=<now, China time> name_goods=llgate
  money_order=0.01 notify_url=http://127.0.0.1:9/notify (nobody listens)
  risk_item={"frms_ware_category":"1999","user_info_mercht_userno":"form-user",...}`

// runForm is `llgate form`.
func runForm(_ context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("llgate form", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nflags:\n", formUsage)
		fs.PrintDefaults()
	}
	base := fs.String("url", envOr(getenv, "LLGATE_URL", "http://127.0.0.1:8080"), "llgate base URL the form posts to (env LLGATE_URL)")
	oid := fs.String("oid", "", "the merchant's oid_partner")
	keyFile := fs.String("key", "", "merchant private key file (PKCS#8 or PKCS#1, PEM or base64)")
	signType := fs.String("sign-type", "RSA", "RSA (MD5withRSA), SHA256withRSA, or MD5 (with --md5-key)")
	md5Key := fs.String("md5-key", "", "the merchant's legacy MD5 key, for --sign-type MD5")
	h5 := fs.Bool("h5", false, "an H5 form (req_data) instead of WEB fields")
	route := fs.String("route", "", "entry path (default /payment/bankgateway.htm, with --h5 /payment.htm)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	fields, err := parsePairs(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, strings.Replace(err.Error(), "call:", "form:", 1))
		return errUsage
	}
	if *oid == "" && fields["oid_partner"] == "" {
		fmt.Fprintln(stderr, "form: --oid (or oid_partner=...) is required")
		return errUsage
	}
	sign, err := formSigner(*signType, *keyFile, *md5Key)
	if err != nil {
		fmt.Fprintln(stderr, "form:", err)
		return errUsage
	}
	now := time.Now().In(llgate.ChinaTime).Format("20060102150405")
	all := map[string]string{
		"version": "1.0", "oid_partner": *oid, "user_id": "form-user", "busi_partner": "101001",
		"no_order": "form-" + now, "dt_order": now, "timestamp": now, "name_goods": "llgate",
		"money_order": "0.01", "notify_url": "http://127.0.0.1:9/notify",
		"risk_item": `{"frms_ware_category":"1999","user_info_mercht_userno":"form-user","user_info_dt_register":"20250101120000"}`,
	}
	if *h5 {
		delete(all, "version")
		delete(all, "timestamp")
		all["app_request"] = "3"
	}
	for k, v := range fields {
		if v == "" {
			delete(all, k)
		} else {
			all[k] = v
		}
	}
	all["sign_type"] = *signType
	delete(all, "sign")
	if all["sign"], err = sign(protocol.SignSourceMap(all)); err != nil {
		return fmt.Errorf("form: %w", err)
	}
	path := *route
	if path == "" {
		path = "/payment/bankgateway.htm"
		if *h5 {
			path = "/payment.htm"
		}
	}
	page := formPage{Action: strings.TrimRight(*base, "/") + path}
	if *h5 {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(all); err != nil {
			return err
		}
		page.Fields = [][2]string{{"req_data", strings.TrimSpace(b.String())}}
	} else {
		for _, k := range slices.Sorted(maps.Keys(all)) {
			page.Fields = append(page.Fields, [2]string{k, all[k]})
		}
	}
	return formTemplate.Execute(stdout, page)
}

func formSigner(signType, keyFile, md5Key string) (func(src string) (string, error), error) {
	switch signType {
	case llgate.SignMD5:
		if md5Key == "" {
			return nil, fmt.Errorf("--sign-type MD5 needs --md5-key")
		}
		return func(src string) (string, error) { return protocol.SignMD5(src, md5Key), nil }, nil
	case llgate.SignRSA, llgate.SignSHA256:
		if keyFile == "" {
			return nil, fmt.Errorf("--key is required")
		}
		pem, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, err
		}
		key, err := protocol.ParsePrivateKey(string(pem))
		if err != nil {
			return nil, fmt.Errorf("merchant key %s: %w", keyFile, err)
		}
		return func(src string) (string, error) { return protocol.Sign(key, signType, src) }, nil
	}
	return nil, fmt.Errorf("--sign-type must be RSA, SHA256withRSA or MD5, not %q", signType)
}

type formPage struct {
	Action string
	Fields [][2]string
}

// formTemplate is the page: escaped, double-quoted inputs, UTF-8, a button
// for browsers without script.
var formTemplate = template.Must(template.New("form").Parse(`<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>llgate checkout form</title></head>
<body>
<form id="llpaysubmit" method="post" action="{{.Action}}" accept-charset="UTF-8">
{{range .Fields}}<input type="hidden" name="{{index . 0}}" value="{{index . 1}}">
{{end}}<button type="submit">去支付</button>
</form>
<script>document.getElementById("llpaysubmit").submit();</script>
</body>
</html>
`))
