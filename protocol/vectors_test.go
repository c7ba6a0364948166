package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	llgate "github.com/llgate/llgate"
)

type clientVector struct {
	ID    string `json:"id"`
	Files struct {
		Body       string `json:"body"`
		Plain      string `json:"plain"`
		SignSource string `json:"sign_source"`
	} `json:"files"`
	Envelope bool   `json:"envelope"`
	SignType string `json:"sign_type"`
	Details  *struct {
		LineBreak        string `json:"line_break"`
		PartLengths      []int  `json:"part_lengths_as_sent"`
		PartsEndingBreak []int  `json:"parts_ending_with_break"`
		HMACOverStripped bool   `json:"hmac_over_parts_with_breaks_stripped"`
	} `json:"envelope_details"`
}

func clientVectors(t *testing.T) []clientVector {
	t.Helper()
	var m struct {
		Vectors []clientVector `json:"vectors"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(clientsDir, "manifest.json")), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Vectors) != 26 {
		t.Fatalf("got %d vectors, want 26", len(m.Vectors))
	}
	return m.Vectors
}

// TestClientVectors is the known-answer test against real client code: every
// captured request decodes, every envelope opens to the logged plaintext,
// every sign source matches byte for byte and every signature verifies.
func TestClientVectors(t *testing.T) {
	platform := platformKey(t)
	merchant := clientPublicKey(t, "merchant_public_spki.pem")
	for _, v := range clientVectors(t) {
		t.Run(v.ID, func(t *testing.T) {
			o, err := Decode(readFile(t, filepath.Join(clientsDir, v.Files.Body)))
			if err != nil {
				t.Fatalf("Decode(body): %v", err)
			}
			if v.Envelope {
				payload := o.Get("pay_load")
				plain, err := OpenEnvelope(platform, payload, true)
				if err != nil {
					t.Fatalf("OpenEnvelope: %v", err)
				}
				want := readFile(t, filepath.Join(clientsDir, v.Files.Plain))
				if !bytes.Equal(plain, want) {
					t.Fatalf("OpenEnvelope:\ngot  %q\nwant %q", plain, want)
				}
				if fast, err := OpenEnvelope(platform, payload, false); err != nil || !bytes.Equal(fast, want) {
					t.Fatalf("OpenEnvelope(checkHMAC=false) = %q, %v; want the same plaintext", fast, err)
				}
				checkEnvelopeShape(t, v, payload)
				outer := o.Get("oid_partner")
				if o, err = Decode(plain); err != nil {
					t.Fatalf("Decode(plaintext): %v", err)
				}
				if got := o.Get("oid_partner"); got != outer {
					t.Errorf("inner oid_partner %q, outer %q", got, outer)
				}
			}
			src := SignSource(o)
			if want := string(readFile(t, filepath.Join(clientsDir, v.Files.SignSource))); src != want {
				t.Fatalf("SignSource:\ngot  %q\nwant %q", src, want)
			}
			if got := o.Get("sign_type"); got != llgate.SignRSA || got != v.SignType {
				t.Fatalf("sign_type %q, manifest %q", got, v.SignType)
			}
			if err := Verify(merchant, o.Get("sign_type"), src, o.Get("sign")); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := Verify(merchant, llgate.SignSHA256, src, o.Get("sign")); !errors.Is(err, ErrVerification) {
				t.Fatalf("Verify as SHA256withRSA: got %v, want ErrVerification", err)
			}
		})
	}
}

// checkEnvelopeShape checks the manifest's facts about the parts as sent, in
// particular that the HMAC covers the line breaks: a server that strips them
// first rejects every Java request.
func checkEnvelopeShape(t *testing.T, v clientVector, payload string) {
	t.Helper()
	parts := strings.Split(payload, "$")
	d := v.Details
	for i, p := range parts {
		if len(p) != d.PartLengths[i] {
			t.Errorf("part %d is %d bytes, manifest says %d", i+1, len(p), d.PartLengths[i])
		}
		endsBreak := strings.HasSuffix(p, "\n")
		want := false
		for _, n := range d.PartsEndingBreak {
			want = want || n == i+1
		}
		if endsBreak != want {
			t.Errorf("part %d ends with a break: %v, manifest says %v", i+1, endsBreak, want)
		}
	}
	hmacKey, err := unwrapKey(platformKey(t), mustB64(t, parts[1]))
	if err != nil {
		t.Fatal(err)
	}
	stripped := bytes.Equal(envelopeMAC(hmacKey, stripBreaks(parts[3]), stripBreaks(parts[4])), mustB64(t, parts[5]))
	if stripped != d.HMACOverStripped {
		t.Errorf("HMAC over stripped parts matches: %v, manifest says %v", stripped, d.HMACOverStripped)
	}
	wantBreak := map[string]string{"LF": "\n", "CRLF": "\r\n", "none": ""}[d.LineBreak]
	hasCR := strings.Contains(payload, "\r\n")
	hasLF := strings.Contains(payload, "\n")
	if hasCR != (wantBreak == "\r\n") || hasLF != (wantBreak != "") {
		t.Errorf("line breaks in payload do not match %s", d.LineBreak)
	}
}
