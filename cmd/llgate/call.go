package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/internal/adminclient"
	"github.com/llgate/llgate/protocol"
)

// callOps are the requests `llgate call` sends, by name.
var callOps = map[string]func(*client.Client, context.Context, map[string]string) (*client.Response, error){
	"bind-apply":        (*client.Client).BindApply,
	"bind-apply-plain":  (*client.Client).BindApplyPlain,
	"bind-verify":       (*client.Client).BindVerify,
	"bind-verify-plain": (*client.Client).BindVerifyPlain,
	"unbind":            (*client.Client).Unbind,
	"bind-list":         (*client.Client).BindList,
	"card-bin":          (*client.Client).CardBin,
}

const callUsage = `usage: llgate call <request> [flags] key=value ...

Sends one merchant API request built and signed by the Go SDK and prints the
verified answer as JSON, card data masked. Exit status: 0 for ret_code 0000 or
8888, 1 for any other ret_code (the answer is printed), 2 when there is no
trustworthy answer (transport error, HTTP error, bad answer signature).

requests:
  bind-apply          MPAY bind apply, encrypted (/v1/bankcardbind)
  bind-apply-plain    trader bind apply (/bankcardbind.htm)
  bind-verify         MPAY bind verify (/v1/bankcardbindverfy)
  bind-verify-plain   trader bind verify (/bankcardbindverfy.htm)
  unbind              /bankcardunbind.htm
  bind-list           /bankcardbindlist.htm
  card-bin            /bankcardbin.htm

example:
  llgate call card-bin --oid 201408071000001539 --key merchant_private_pkcs8.pem \
      --admin-token TOKEN card_no=6222021234567800002

flags:`

// businessError is an answer whose ret_code is not success. The answer has
// been printed; the command exits 1.
type businessError struct{ code, msg string }

func (e *businessError) Error() string { return "ret_code " + e.code + " " + e.msg }

// ExitCode is the process exit status main should use for this error.
func (e *businessError) ExitCode() int { return 1 }

// runCall is `llgate call`.
func runCall(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("llgate call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, callUsage)
		fs.PrintDefaults()
	}
	url := fs.String("url", envOr(getenv, "LLGATE_URL", "http://127.0.0.1:8080"), "llgate (or LianLian) base URL (env LLGATE_URL)")
	oid := fs.String("oid", "", "the merchant's oid_partner")
	keyFile := fs.String("key", "", "merchant private key file (PKCS#8 or PKCS#1, PEM or base64)")
	platformFile := fs.String("platform-key", "", "platform public key file (PEM or base64)")
	adminToken := fs.String("admin-token", getenv("LLGATE_ADMIN_TOKEN"), "fetch the platform key from the admin API instead of --platform-key (env LLGATE_ADMIN_TOKEN)")
	signType := fs.String("sign-type", "RSA", "RSA (MD5withRSA) or SHA256withRSA")
	verbose := fs.Bool("v", false, "print each stage to stderr: sign source, inner JSON, envelope, request and response bodies (masked)")
	unmasked := fs.Bool("unmasked", false, "print card numbers, ID numbers and phones in clear, in -v stages and in the answer")
	rest, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return errUsage
	}
	if len(rest) == 0 {
		fs.Usage()
		return errUsage
	}
	op, ok := callOps[rest[0]]
	if !ok {
		fmt.Fprintf(stderr, "unknown request %q\n", rest[0])
		fs.Usage()
		return errUsage
	}
	fields, err := parsePairs(rest[1:])
	if err != nil {
		return err
	}
	if *oid == "" && fields["oid_partner"] == "" {
		return errors.New("call: --oid (or oid_partner=...) is required")
	}
	if *keyFile == "" {
		return errors.New("call: --key is required")
	}
	switch *signType {
	case "RSA", "SHA256withRSA":
	default:
		return fmt.Errorf("call: --sign-type must be RSA or SHA256withRSA, not %q", *signType)
	}

	hc := &http.Client{Timeout: 30 * time.Second}
	keyPEM, err := os.ReadFile(*keyFile)
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	key, err := protocol.ParsePrivateKey(string(keyPEM))
	if err != nil {
		return fmt.Errorf("call: merchant key %s: %w", *keyFile, err)
	}
	platformPEM, err := platformKeyText(ctx, hc, *url, *platformFile, *adminToken)
	if err != nil {
		return err
	}
	platform, err := protocol.ParsePublicKey(platformPEM)
	if err != nil {
		return fmt.Errorf("call: platform key: %w", err)
	}

	c := client.New(*url, *oid, key, platform)
	c.SignType = *signType
	c.HTTPClient = hc
	mask := llgate.MaskText
	if *unmasked {
		mask = func(s string) string { return s }
		fmt.Fprintln(stderr, "warning: --unmasked prints card numbers, ID numbers and phones in clear; keep this output out of logs and tickets")
	}
	if *verbose {
		c.Trace = func(stage, text string) { fmt.Fprintf(stderr, "%s: %s\n", stage, mask(text)) }
	}

	res, err := op(c, ctx, fields)
	var apiErr *client.Error
	switch {
	case err == nil:
		return printAnswer(stdout, res, *unmasked)
	case errors.As(err, &apiErr):
		if perr := printAnswer(stdout, res, *unmasked); perr != nil {
			return perr
		}
		return &businessError{apiErr.RetCode, apiErr.RetMsg}
	case errors.Is(err, client.ErrBadAnswerSignature) && res != nil:
		fmt.Fprintln(stderr, "the answer below does NOT verify with the platform key: do not trust it")
		if perr := printAnswer(stdout, res, *unmasked); perr != nil {
			return perr
		}
		return err
	default:
		return err
	}
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, and returns the positional ones in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parsePairs reads key=value arguments; the value may hold '=' and be empty.
func parsePairs(args []string) (map[string]string, error) {
	fields := make(map[string]string, len(args))
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("call: %q is not key=value", a)
		}
		fields[k] = v
	}
	return fields, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// platformKeyText reads the platform key from a file, or from the admin API
// of the server at base.
func platformKeyText(ctx context.Context, hc *http.Client, base, file, token string) (string, error) {
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("call: %w", err)
		}
		return string(b), nil
	case token == "":
		return "", errors.New("call: need --platform-key or --admin-token")
	}
	c := adminclient.Client{URL: base, Token: token, HTTP: hc}
	pem, err := c.PlatformKeyPEM(ctx)
	if err != nil {
		return "", fmt.Errorf("call: platform key from the %w", err)
	}
	return pem, nil
}

// printAnswer writes the answer as indented JSON, masked by the one policy
// (llgate.MaskText) unless unmasked.
func printAnswer(w io.Writer, res *client.Response, unmasked bool) error {
	dec := json.NewDecoder(bytes.NewReader(res.Raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("call: answer: %w", err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	out := b.String()
	if !unmasked {
		out = llgate.MaskText(out)
	}
	_, err := io.WriteString(w, out)
	return err
}
