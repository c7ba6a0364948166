package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/llgate/llgate/httpapi"
)

// runMerchant manages merchants directly in the database (a running server
// sees the change within a second).
func runMerchant(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list") {
		fmt.Fprintln(stderr, "usage: llgate merchant add --oid OID --public-key-file FILE [flags] | llgate merchant list")
		return errUsage
	}
	c := defaultConfig()
	fs := c.newFlagSet("llgate merchant "+args[0], getenv, stderr, storeFlags...)
	var oid, name, keyFile, smsCode, signTypes, jsonFile string
	var live, create bool
	fs.BoolVar(&create, "create", false, "create the database when it does not exist (else: an error, so a typo in --db makes no new one)")
	if args[0] == "add" {
		fs.StringVar(&oid, "oid", "", "oid_partner: 18 digits")
		fs.StringVar(&name, "name", "", "merchant name")
		fs.StringVar(&keyFile, "public-key-file", "", "merchant public key (PEM or base64 DER)")
		fs.StringVar(&smsCode, "sms-code", "", "sandbox: fixed 6-digit SMS code")
		fs.StringVar(&signTypes, "sign-types", "RSA,SHA256withRSA", "comma-separated sign types")
		fs.BoolVar(&live, "live", false, "live merchant (configured limits instead of the 50.00 test caps)")
		fs.StringVar(&jsonFile, "json", "", "instead of the flags: a file with one merchant object")
	}
	if help, err := parseFlags(fs, args[1:]); help || err != nil {
		return err
	}
	if err := mustExist(c.DB, create); err != nil {
		return err
	}
	logger := newLogger(stderr, c.LogLevel)
	a, err := openApp(ctx, &c, logger, "")
	if err != nil {
		return err
	}
	defer a.Store.Close()
	defer a.Close()
	ms := a.Merchants

	if args[0] == "list" {
		list, err := ms.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "OID_PARTNER\tNAME\tLIVE\tSIGN_TYPES\tKEYS")
		for _, m := range list {
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%d\n", m.OidPartner, m.Name, m.Live, strings.Join(m.SignTypes, ","), len(m.PublicKeys))
		}
		return tw.Flush()
	}

	var j httpapi.MerchantJSON
	if jsonFile != "" {
		raw, err := os.ReadFile(jsonFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return fmt.Errorf("%s: %w", jsonFile, err)
		}
	} else {
		if keyFile == "" {
			return fmt.Errorf("--public-key-file is required")
		}
		key, err := os.ReadFile(keyFile)
		if err != nil {
			return err
		}
		k, types := string(key), strings.Split(signTypes, ",")
		j = httpapi.MerchantJSON{OidPartner: &oid, Name: &name, PublicKey: &k, SignTypes: &types, Live: &live, SMSCode: &smsCode}
	}
	m, md5Key, err := j.Merchant()
	if err == nil {
		m, err = ms.Create(ctx, m, md5Key)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added merchant %s\n", m.OidPartner)
	return nil
}

// mustExist refuses a SQLite database file that does not exist unless create
// is set: 'merchant add --db ./llgat.db' must not quietly make a new,
// empty sandbox that the server never reads.
func mustExist(db string, create bool) error {
	if create || isPostgres(db) || db == ":memory:" {
		return nil
	}
	if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no database at %s (start 'llgate serve --db %s' once, or give --create)", db, db)
	}
	return nil
}
