package main

import (
	"bytes"
	"context"
	"crypto/rsa"
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

const callUsage = `usage: llgate call <endpoint> [flags] key=value ...
       llgate call <endpoint> --help      the endpoint's fields, with an example

Sends one merchant API request built and signed by the Go SDK (sealed in a
pay_load envelope where the endpoint takes one) and prints the verified
answer as JSON, card data masked. Exit status: 0 for ret_code 0000 or 8888
(preauth-query: any pre-authorisation state, 2003, 2006, PR07 to PR16),
1 for any other ret_code (the answer is printed), 2 when there is no
trustworthy answer (transport error, HTTP error, bad answer signature) or
the command is misused.

oid_partner, sign_type and sign are filled in.`

// endpointList is the endpoints llgate call knows: the table's.
func endpointList() string {
	var b strings.Builder
	for _, e := range protocol.Endpoints {
		fmt.Fprintf(&b, "  %-18s %-22s %s\n", e.Name, e.Path, e.Summary)
	}
	return b.String()
}

// endpointHelp describes one endpoint from the table: its path, transport,
// fields (required ones marked) and an example command.
func endpointHelp(w io.Writer, e *protocol.Endpoint) {
	fmt.Fprintf(w, "llgate call %s: %s\n\n", e.Name, e.Summary)
	if len(e.Prefixes) > 0 {
		fmt.Fprintf(w, "  path       %s (also under %s)\n", e.Path, strings.Join(e.Prefixes, ", "))
	} else {
		fmt.Fprintf(w, "  path       %s\n", e.Path)
	}
	fmt.Fprintf(w, "  transport  %s\n  doc        %s\n  success    %s\n\nfields (* required, + required unless another field is given):\n", e.Transport, e.Doc, e.Success)
	example := []string{"llgate call", e.Name, "--oid OID --key merchant_private_pkcs8.pem --admin-token $TOKEN"}
	for _, f := range e.Request {
		switch f.Name {
		case "oid_partner", "sign_type", "sign":
			continue // filled in
		}
		mark := " "
		switch f.Need {
		case protocol.Required:
			mark = "*"
		case protocol.Conditional:
			mark = "+"
		}
		line := fmt.Sprintf("  %s %-14s %s", mark, f.Name, f.Doc)
		if f.Example != "" {
			line += "  (e.g. " + f.Example + ")"
			if f.Need == protocol.Required {
				example = append(example, shellQuote(f.Name+"="+f.Example))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	fmt.Fprintf(w, "\nexample:\n  %s\n", strings.Join(example, " "))
}

// shellQuote quotes a key=value argument for a POSIX shell when needed.
func shellQuote(s string) string {
	if strings.ContainsAny(s, " \"'{}<>$&|;()*?[]#~`\\") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

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
		fmt.Fprintf(fs.Output(), "%s\n\nendpoints:\n%s\nflags:\n", callUsage, endpointList())
		fs.PrintDefaults()
	}
	url := fs.String("url", envOr(getenv, "LLGATE_URL", "http://127.0.0.1:8080"), "llgate (or LianLian) base URL (env LLGATE_URL)")
	oid := fs.String("oid", "", "the merchant's oid_partner")
	keyFile := fs.String("key", "", "merchant private key file (PKCS#8 or PKCS#1, PEM or base64)")
	platformFile := fs.String("platform-key", "", "platform public key file (PEM or base64)")
	adminToken := fs.String("admin-token", getenv("LLGATE_ADMIN_TOKEN"), "fetch the platform key from the admin API instead of --platform-key (env LLGATE_ADMIN_TOKEN)")
	signType := fs.String("sign-type", "RSA", "RSA (MD5withRSA), SHA256withRSA, or MD5 (with --md5-key)")
	md5Key := fs.String("md5-key", "", "the merchant's legacy MD5 key, for --sign-type MD5")
	verbose := fs.Bool("v", false, "print each stage to stderr: sign source, inner JSON, envelope, request and response bodies (masked)")
	unmasked := fs.Bool("unmasked", false, "print card numbers, ID numbers and phones in clear, in -v stages and in the answer")
	if name, ok := helpFor(args); ok {
		if e, found := protocol.EndpointByName(name); found {
			endpointHelp(stdout, e)
		} else {
			fs.SetOutput(stdout)
			fs.Usage()
		}
		return nil
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return errUsage
	}
	if len(rest) == 0 {
		fs.Usage()
		return errUsage
	}
	e, ok := protocol.EndpointByName(rest[0])
	if !ok {
		fmt.Fprintf(stderr, "unknown endpoint %q; the endpoints are:\n%s", rest[0], endpointList())
		return errUsage
	}
	fields, err := parsePairs(rest[1:])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return errUsage
	}
	if *oid == "" && fields["oid_partner"] == "" {
		fmt.Fprintln(stderr, "call: --oid (or oid_partner=...) is required")
		return errUsage
	}
	switch *signType {
	case "RSA", "SHA256withRSA":
		if *keyFile == "" {
			fmt.Fprintln(stderr, "call: --key is required")
			return errUsage
		}
	case "MD5":
		if *md5Key == "" {
			fmt.Fprintln(stderr, "call: --sign-type MD5 needs --md5-key")
			return errUsage
		}
	default:
		fmt.Fprintf(stderr, "call: --sign-type must be RSA, SHA256withRSA or MD5, not %q\n", *signType)
		return errUsage
	}

	hc := &http.Client{Timeout: 30 * time.Second}
	var key *rsa.PrivateKey
	if *keyFile != "" {
		keyPEM, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("call: %w", err)
		}
		if key, err = protocol.ParsePrivateKey(string(keyPEM)); err != nil {
			return fmt.Errorf("call: merchant key %s: %w", *keyFile, err)
		}
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
	c.SignType, c.MD5Key = *signType, *md5Key
	c.HTTPClient = hc
	mask := llgate.MaskText
	if *unmasked {
		mask = func(s string) string { return s }
		fmt.Fprintln(stderr, "warning: --unmasked prints card numbers, ID numbers and phones in clear; keep this output out of logs and tickets")
	}
	if *verbose {
		c.Trace = func(stage, text string) { fmt.Fprintf(stderr, "%s: %s\n", stage, mask(text)) }
	}

	res, err := c.Do(ctx, e.Name, fields)
	var apiErr *client.Error
	switch {
	case err == nil:
		return printAnswer(stdout, res, *unmasked)
	case errors.As(err, &apiErr):
		if perr := printAnswer(stdout, res, *unmasked); perr != nil {
			return perr
		}
		if e.Name == protocol.EPPreauthQuery && protocol.IsPreauthState(apiErr.RetCode) {
			return nil // the state is the answer
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

// helpFor reports whether args ask for help (-h, -help, --help) and names
// the endpoint they ask about ("" for none).
func helpFor(args []string) (string, bool) {
	help, name := false, ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		flagName := strings.TrimLeft(a, "-")
		switch {
		case a == "-h" || a == "-help" || a == "--help":
			help = true
		case strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && flagName != "v" && flagName != "unmasked":
			i++ // a flag's value follows
		case name == "" && !strings.HasPrefix(a, "-") && !strings.Contains(a, "="):
			name = a
		}
	}
	return name, help
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
