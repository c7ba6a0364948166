package protocol_test

import (
	"fmt"
	"os"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// A merchant signs a request; llgate verifies it with the merchant's public
// key over the sign source it rebuilds from the decoded body.
func ExampleSign() {
	pem, _ := os.ReadFile("testdata/openssl/private_pkcs8.pem")
	key, err := protocol.ParsePrivateKey(string(pem))
	if err != nil {
		panic(err)
	}
	body := []byte(`{"card_no":"6222021234567800002","oid_partner":"201408071000001539","sign_type":"RSA","offset":0,"platform":""}`)
	req, _ := protocol.Decode(body)
	src := protocol.SignSource(req)
	sig, _ := protocol.Sign(key, req.Get("sign_type"), src)

	fmt.Println(src)
	fmt.Println(protocol.Verify(&key.PublicKey, llgate.SignRSA, src, sig))
	fmt.Println(protocol.Verify(&key.PublicKey, llgate.SignRSA, src+"&x=1", sig))
	// Output:
	// card_no=6222021234567800002&offset=0&oid_partner=201408071000001539&sign_type=RSA
	// <nil>
	// protocol: signature verification failed
}

// A client seals the signed JSON to the platform key the way the Java demo
// does (base64 wrapped with CRLF); llgate opens it with the private key.
func ExampleSealEnvelope() {
	pem, _ := os.ReadFile("testdata/openssl/private_pkcs8.pem")
	platform, err := protocol.ParsePrivateKey(string(pem))
	if err != nil {
		panic(err)
	}
	inner := []byte(`{"acct_name":"张三","oid_partner":"201408071000001539"}`)
	payload, err := protocol.SealEnvelope(&platform.PublicKey, inner, protocol.SealOptions{LineBreak: "\r\n"})
	if err != nil {
		panic(err)
	}
	plain, err := protocol.OpenEnvelope(platform, payload, true)
	fmt.Println(string(plain), err)
	// Output:
	// {"acct_name":"张三","oid_partner":"201408071000001539"} <nil>
}
