package protocol

import (
	"fmt"
	"io"
	"strings"
)

// WriteEndpointDoc writes docs/endpoints.md from the endpoint table: every
// endpoint with its paths, transport, request fields and answer fields, and
// the notification field sets. The docs are generated, never written by
// hand, so they cannot drift from what the server does.
func WriteEndpointDoc(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Endpoints\n\n")
	b.WriteString("Generated from the endpoint table (`protocol/endpoints.go`) by `go test ./protocol -run TestEndpointDoc -update`;\n")
	b.WriteString("the server routes and validates by the same table, and `llgate call NAME --help` prints the same fields.\n\n")
	b.WriteString("Every request also carries `oid_partner`, `sign_type` and `sign` (`api_version` is accepted and ignored).\n")
	b.WriteString("Every answer carries `ret_code`, `ret_msg`, `sign_type` and `sign`; all its non-empty top-level fields are\n")
	b.WriteString("signed except those listed as unsigned. Required fields are marked **required**; \"one of\" fields are\n")
	b.WriteString("required unless the endpoint's other way of naming the thing is given.\n\n")
	b.WriteString("| endpoint | path | also under | transport | success |\n|---|---|---|---|---|\n")
	for _, e := range Endpoints {
		fmt.Fprintf(&b, "| [`%s`](#%s) | `%s` | %s | %s | %s |\n", e.Name, e.Name, e.Path, codeList(e.Prefixes), e.Transport, e.Success)
	}
	for _, e := range Endpoints {
		fmt.Fprintf(&b, "\n## %s\n\n%s. LianLian doc: `%s`.", e.Name, upperFirst(e.Summary), e.Doc)
		if e.SharedWith != "" {
			fmt.Fprintf(&b, " Also served on the path of `%s` when the body has `token` and `verify_code`.", e.SharedWith)
		}
		b.WriteString("\n\n| field | need | meaning | example |\n|---|---|---|---|\n")
		for _, f := range e.Request {
			if f.Name == "oid_partner" || f.Name == "sign_type" || f.Name == "sign" || f.Name == "api_version" {
				continue
			}
			need := map[Need]string{Required: "**required**", Conditional: "one of", Optional: ""}[f.Need]
			ex := ""
			if f.Example != "" {
				ex = "`" + strings.ReplaceAll(f.Example, "|", `\|`) + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Name, need, f.Doc, ex)
		}
		fmt.Fprintf(&b, "\nAnswer (signed): %s.", codeList(e.Answer))
		if len(e.Unsigned) > 0 {
			fmt.Fprintf(&b, " Outside the signature: %s.", codeList(e.Unsigned))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Notifications\n\n")
	fmt.Fprintf(&b, "Sent as `text/json;charset=utf-8`, or the merchant's `notify_content_type`.\n\n")
	fmt.Fprintf(&b, "Payment (signed): %s, and `sign`. Only for merchants with `notify_extra_fields`: %s.\n\n",
		codeList(PaymentNotice), codeList(PaymentNoticeExtra))
	fmt.Fprintf(&b, "Refund: %s, and `sign`.\n", codeList(RefundNotice))
	_, err := io.WriteString(w, b.String())
	return err
}

func codeList(names []string) string {
	if len(names) == 0 {
		return "—"
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
	}
	return strings.Join(quoted, ", ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
