package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	formAction = regexp.MustCompile(`<form id="llpaysubmit" method="post" action="([^"]+)" accept-charset="UTF-8">`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// postPrinted posts the form a page printed, as a browser submits it, and
// returns llgate's answer (redirects not followed).
func postPrinted(t *testing.T, page string) (*http.Response, url.Values) {
	t.Helper()
	if !strings.HasPrefix(page, "<!doctype html>") || !strings.Contains(page, `.submit();`) {
		t.Fatalf("not an auto-submitting page:\n%s", page)
	}
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form:\n%s", page)
	}
	v := url.Values{}
	for _, in := range formInput.FindAllStringSubmatch(page, -1) {
		v.Set(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(html.UnescapeString(m[1]), v)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp, v
}

func TestForm(t *testing.T) {
	base := inProcessServer(t)
	addMerchant(t, base)
	getenv := func(string) string { return "" }
	for _, c := range []struct {
		name string
		args []string
		path string
	}{
		{"WEB", []string{"name_goods=羽毛球 & 球拍", "money_order=1.23", "no_order=form-web-1", "url_return=http://127.0.0.1:9/ret?a=1&b=2"}, "/payment/bankgateway.htm"},
		{"H5", []string{"--h5", "no_order=form-h5-1", `info_order=引号"和'单引号`}, "/payment.htm"},
		{"SHA256 on another route", []string{"--sign-type", "SHA256withRSA", "--route", "/payment/authpay.htm", "no_order=form-sha-1", "version="}, "/payment/authpay.htm"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"--url", base, "--oid", testOid, "--key", testKeys + "merchant_private_pkcs8.pem"}, c.args...)
			if err := run(context.Background(), append([]string{"form"}, args...), getenv, &out, &errb); err != nil {
				t.Fatalf("form: %v %s", err, errb.String())
			}
			resp, posted := postPrinted(t, out.String())
			if resp.Request.URL.Path != c.path {
				t.Errorf("posted to %s, want %s", resp.Request.URL.Path, c.path)
			}
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/paymentweb/payinit?token=") {
				t.Fatalf("got %d %q, want 303 to the cashier", resp.StatusCode, loc)
			}
			if c.name == "H5" {
				var f map[string]string
				if len(posted) != 1 || json.Unmarshal([]byte(posted.Get("req_data")), &f) != nil || f["info_order"] != `引号"和'单引号` {
					t.Errorf("H5 form: %v", posted)
				}
			}
			if c.name == "SHA256 on another route" && posted.Has("version") {
				t.Errorf("version= did not remove the field")
			}
		})
	}
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"form", "--key", testKeys + "merchant_private_pkcs8.pem"},
			{"form", "--oid", testOid},
			{"form", "--oid", testOid, "--sign-type", "MD5"},
			{"form", "--oid", testOid, "--sign-type", "DSA", "--key", "x"},
			{"form", "--oid", testOid, "--key", testKeys + "merchant_private_pkcs8.pem", "novalue"},
		} {
			var out, errb bytes.Buffer
			if err := run(context.Background(), args, getenv, &out, &errb); err != errUsage || errb.Len() == 0 {
				t.Errorf("%v: got %v, stderr %q; want a usage error", args, err, errb.String())
			}
		}
	})
}
