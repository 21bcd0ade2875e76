package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"github.com/counternet/counternet/internal/export"
)

// runVerify is `counternet verify <file> [--key K] [--identity F]`: the
// partner's check of a package's signature and every file's hash. It names
// the first thing that does not match.
func runVerify(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("verify", stderr)
	key := f.fs.String("key", "", "the sender's ed25519 public key (ed25519:<base64>, or a file holding it); without it the key in the manifest is used, which proves integrity, not origin")
	identity := f.fs.String("identity", "", "age identity (key file) to decrypt an encrypted package")
	pos, err := parseInterspersed(f.fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("want exactly one package file")
	}
	opts, err := verifyOptions(*key, *identity)
	if err != nil {
		return err
	}
	res, err := export.VerifyFile(pos[0], opts)
	if err != nil {
		return err
	}
	printVerified(stdout, pos[0], res)
	return nil
}

// runOpen is `counternet open <file> --identity F -o DIR [--key K]`: it
// decrypts, verifies and unpacks a package; nothing is left in DIR unless
// the whole package verifies.
func runOpen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("open", stderr)
	key := f.fs.String("key", "", "the sender's ed25519 public key (ed25519:<base64>, or a file holding it)")
	identity := f.fs.String("identity", "", "age identity (key file) the package was encrypted to")
	out := f.fs.String("o", "", "directory to unpack into (required; must not exist)")
	pos, err := parseInterspersed(f.fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("want exactly one package file")
	}
	if *out == "" {
		return errors.New("missing -o DIR")
	}
	opts, err := verifyOptions(*key, *identity)
	if err != nil {
		return err
	}
	opts.Dir = *out
	res, err := export.VerifyFile(pos[0], opts)
	if err != nil {
		return err
	}
	printVerified(stdout, pos[0], res)
	fmt.Fprintf(stdout, "unpacked into %s: start with report.html; the draft request is in request/\n", *out)
	return nil
}

func verifyOptions(key, identity string) (export.VerifyOptions, error) {
	var opts export.VerifyOptions
	if key != "" {
		k, err := export.LoadPublicKey(key)
		if err != nil {
			return opts, err
		}
		opts.Key = ed25519.PublicKey(k)
	}
	if identity != "" {
		ids, err := export.LoadIdentities(identity)
		if err != nil {
			return opts, err
		}
		opts.Identities = []age.Identity(ids)
	}
	return opts, nil
}

func printVerified(w io.Writer, file string, res *export.Result) {
	m := res.Manifest
	fmt.Fprintf(w, "%s: OK — signature and all %d files (%d bytes) match\n", file, res.Files, res.Bytes)
	fmt.Fprintf(w, "  package  %s, created %s\n", m.PackageID, m.Created.Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(w, "  from     %s (%s), by %s\n", m.Creator.Agency, m.Creator.Country, m.Creator.Who)
	fmt.Fprintf(w, "  for      %s (%s, %s)\n", m.Partner.Agency, m.Partner.ID, m.Partner.Country)
	fmt.Fprintf(w, "  TLP:%s; purpose: %s; legal basis: %s\n", strings.ToUpper(m.TLP), m.Purpose, m.LegalBasis)
	if res.KeyFromManifest {
		fmt.Fprintf(w, "  signed by %s — the key named in the manifest: compare it with the key the sender published (or pass --key)\n", m.Creator.SigningKey)
	} else {
		fmt.Fprintf(w, "  signed by %s (the key given)\n", m.Creator.SigningKey)
	}
}
