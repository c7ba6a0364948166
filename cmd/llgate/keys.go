package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/llgate/llgate/protocol"
)

func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rotate" {
		// run does not hand runKeys its getenv; the environment is the
		// process's, as it is for run's caller.
		return runKeysRotate(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "gen" {
		fmt.Fprintln(stderr, "usage: llgate keys gen [--out DIR] [--bits 2048] | llgate keys rotate [--db ...] [--batch 500]")
		return errUsage
	}
	fs := flag.NewFlagSet("llgate keys gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", ".", "directory to write the key files into")
	bits := fs.Int("bits", 2048, "RSA modulus size: 1024 to 4096")
	name := fs.String("name", "merchant", "file name prefix")
	if help, err := parseFlags(fs, args[1:]); help || err != nil {
		return err
	}
	if *bits < 1024 || *bits > 4096 {
		return fmt.Errorf("--bits must be from 1024 to 4096")
	}
	key, err := rsa.GenerateKey(rand.Reader, *bits)
	if err != nil {
		return err
	}
	files := []struct {
		suffix, text string
		mode         os.FileMode
	}{
		{"_private_pkcs8.pem", protocol.MarshalPrivateKeyPEM(key), 0o600},
		{"_private_pkcs1.pem", protocol.MarshalPrivateKeyPKCS1PEM(key), 0o600},
		{"_private_pkcs8.b64", protocol.MarshalPrivateKeyBase64(key) + "\n", 0o600},
		{"_public_spki.pem", protocol.MarshalPublicKeyPEM(&key.PublicKey), 0o644},
		{"_public_spki.b64", protocol.MarshalPublicKeyBase64(&key.PublicKey) + "\n", 0o644},
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(*out, *name+f.suffix)
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
		if err != nil {
			return fmt.Errorf("%w (refusing to overwrite a key)", err)
		}
		_, err = io.WriteString(fh, f.text)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "wrote", p)
	}
	fmt.Fprintln(stdout, "public key for the merchant object (public_key):")
	fmt.Fprintln(stdout, protocol.MarshalPublicKeyBase64(&key.PublicKey))
	return nil
}
