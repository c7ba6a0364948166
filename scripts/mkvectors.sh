#!/usr/bin/env bash
# mkvectors.sh [OUTDIR] - known-answer vectors for package protocol, made with
# the openssl command line only, so they are independent of our Go code.
#
# Writes to OUTDIR (default protocol/testdata/openssl):
#   private_pkcs8.pem, public_spki.pem   a fresh RSA-2048 key pair
#   message.txt                          a sign source (UTF-8, no newline)
#   sign_md5withrsa.b64                  openssl dgst -md5 -sign, base64
#   sign_sha256withrsa.b64               openssl dgst -sha256 -sign, base64
#   envelope_plain.json                  the envelope plaintext; its length is
#                                        a multiple of 57 bytes, so the wrapped
#                                        ciphertext part ends with a break
#   envelope.txt                         pay_load, base64 on one line (PHP, C#)
#   envelope_crlf.txt                    pay_load, base64 wrapped every 76
#                                        characters with CRLF (Java on Windows)
# The envelope is built step by step: RSA-OAEP(SHA-1, MGF1-SHA-1) for both
# keys, AES-256-CTR with IV = nonce || 0000000000000001, HMAC-SHA256 over
# part3 "$" part4 exactly as written.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/../protocol/testdata/openssl}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/private_pkcs8.pem" 2>/dev/null
openssl pkey -in "$out/private_pkcs8.pem" -pubout -out "$out/public_spki.pem"

# Signatures over a sign source with the awkward parts: Chinese text, a JSON
# string signed verbatim, '&' and '=' inside values are not escaped.
printf '%s' 'acct_name=张三&card_no=6222021234567800002&info_order=a&b=c&money_order=12.34&oid_partner=201408071000001539&risk_item={"frms_ware_category":"4007","goods_name":"测试商品"}&sign_type=RSA' >"$out/message.txt"
for md in md5 sha256; do
	name=md5withrsa
	[ "$md" = sha256 ] && name=sha256withrsa
	openssl dgst -"$md" -sign "$out/private_pkcs8.pem" -out sig.bin "$out/message.txt"
	base64 -w 0 sig.bin >"$out/sign_$name.b64"
done

# Envelope plaintext, padded to a multiple of 57 bytes.
head='{"acct_name":"张三","card_no":"6222021234567800002","oid_partner":"201408071000001539","sign_type":"RSA","memo":"'
tail='"}'
len=$(printf '%s%s' "$head" "$tail" | wc -c)
pad=$(((57 - len % 57) % 57 + 57))
printf '%s%s%s' "$head" "$(printf '%*s' "$pad" '' | tr ' ' x)" "$tail" >"$out/envelope_plain.json"

# randkey N: N characters of [0-9A-Z]; 2 KiB of randomness gives ~288.
randkey() {
	local s
	s=$(head -c 2048 /dev/urandom | LC_ALL=C tr -dc 'A-Z0-9')
	printf '%s' "${s:0:$1}"
}
hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
hmac_key=$(randkey 32)
aes_key=$(randkey 32)
nonce=$(randkey 8)

oaep() {
	printf '%s' "$1" >k.txt
	openssl pkeyutl -encrypt -pubin -inkey "$out/public_spki.pem" -in k.txt -out "$2" \
		-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1
}
oaep "$hmac_key" part1.bin
oaep "$aes_key" part2.bin
printf '%s' "$nonce" >part3.bin
openssl enc -aes-256-ctr -K "$(hexof "$aes_key")" -iv "$(hexof "$nonce")0000000000000001" \
	-in "$out/envelope_plain.json" -out part4.bin

# b64 FILE [crlf]: base64 on one line, or as Java's sun.misc encoder writes it
# with CRLF: 76-character lines, each full line (57 bytes) followed by the
# break, a final partial line not.
b64() {
	if [ -z "$2" ]; then
		base64 -w 0 "$1"
		return
	fi
	base64 -w 76 "$1" | sed 's/$/\r/' | tr -d '\n' | sed 's/\r/\r\n/g' >wrapped.txt
	if [ $(($(wc -c <"$1") % 57)) -ne 0 ]; then
		head -c -2 wrapped.txt # drop the break base64 put after the partial line
	else
		cat wrapped.txt
	fi
}

# envelope [crlf] OUTFILE
envelope() {
	local i
	for i in 1 2 3 4; do b64 part$i.bin "$1" >p$i.txt; done
	{ cat p3.txt; printf '$'; cat p4.txt; } | openssl dgst -sha256 -hmac "$hmac_key" -binary >part5.bin
	b64 part5.bin "$1" >p5.txt
	{ printf 'lianpay1_0_1'; for i in 1 2 3 4 5; do printf '$'; cat p$i.txt; done; } >"$2"
}
envelope "" "$out/envelope.txt"
envelope crlf "$out/envelope_crlf.txt"
echo "wrote $out"
