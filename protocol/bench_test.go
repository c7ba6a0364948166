package protocol

import (
	"path/filepath"
	"testing"

	llgate "github.com/llgate/llgate"
)

// The benchmarks use the client vectors' 2048-bit test keys and a real
// captured bind apply, so the numbers are those of a production request.

const benchSource = "acct_name=张三&bind_mob=13800138000&card_no=6222021234567800002&dt_order=20261122100000&id_no=110105199003071239&id_type=0&no_order=vec-java-lf-bind-20261122100000&notify_url=https://merchant.example.com/llpay/notify&oid_partner=201408071000001539&pay_type=2&sign_type=RSA&user_id=vec-java-lf-1001"

func benchSign(b *testing.B, signType string) {
	key := merchantKey(b)
	for b.Loop() {
		if _, err := Sign(key, signType, benchSource); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignMD5withRSA(b *testing.B) { benchSign(b, llgate.SignRSA) }
func BenchmarkSignSHA256(b *testing.B)     { benchSign(b, llgate.SignSHA256) }

func BenchmarkVerify(b *testing.B) {
	key := merchantKey(b)
	sig, err := Sign(key, llgate.SignRSA, benchSource)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := Verify(&key.PublicKey, llgate.SignRSA, benchSource, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenEnvelope(b *testing.B) {
	key := platformKey(b)
	o, err := Decode(readFile(b, filepath.Join(clientsDir, "java-lf/01-bankcardbind.body")))
	if err != nil {
		b.Fatal(err)
	}
	payload := o.Get("pay_load")
	for _, tc := range []struct {
		name  string
		check bool
	}{{"HMAC", true}, {"NoHMAC", false}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := OpenEnvelope(key, payload, tc.check); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSealEnvelope(b *testing.B) {
	pub := &platformKey(b).PublicKey
	plain := readFile(b, filepath.Join(clientsDir, "java-lf/01-bankcardbind.plain.json"))
	for b.Loop() {
		if _, err := SealEnvelope(pub, plain, SealOptions{LineBreak: "\n"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	body := readFile(b, filepath.Join(clientsDir, "java-lf/05-bankcardprepay.plain.json"))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		o, err := Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		_ = SignSource(o)
	}
}
