package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/counternet/counternet/internal/export"
	"github.com/counternet/counternet/internal/reference"
)

// verifyFlags are the flags verify and open share.
type verifyFlags struct {
	*common
	key, identity, senders *string
}

func newVerifyFlags(name string, stderr io.Writer) verifyFlags {
	f := newFlags(name, stderr)
	return verifyFlags{common: f,
		key:      f.fs.String("key", "", "the sender's ed25519 public key (ed25519:<base64>, or a file holding it); without it the signer must be a trusted sender"),
		identity: f.fs.String("identity", "", "age identity (key file, mode 0600) to decrypt an encrypted package"),
		senders:  f.fs.String("senders", "", "trusted senders: a partner directory whose signing_key entries verify what each partner sends (default: partners of the config)"),
	}
}

// runVerify is `counternet verify <file> [--key K | --senders F] [--identity F]`:
// the partner's check of a package's signer, signature and every byte. It
// names the first thing that does not match.
func runVerify(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newVerifyFlags("verify", stderr)
	pos, err := parseInterspersed(f.fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("want exactly one package file, got %d arguments", len(pos))
	}
	opts, err := f.options()
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

// runOpen is `counternet open <file> --identity F -o DIR [--key K | --senders F]`:
// it decrypts, verifies and unpacks a package with the checks verify makes;
// nothing is left in DIR unless the whole package verifies.
func runOpen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newVerifyFlags("open", stderr)
	out := f.fs.String("o", "", "directory to unpack into (required; must not exist)")
	pos, err := parseInterspersed(f.fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("want exactly one package file, got %d arguments", len(pos))
	}
	if *out == "" {
		return usageErr("missing -o DIR")
	}
	opts, err := f.options()
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

// options loads the key, the identity and, without a key, the trusted
// senders.
func (f verifyFlags) options() (export.VerifyOptions, error) {
	var opts export.VerifyOptions
	if *f.key != "" {
		k, err := export.LoadPublicKey(*f.key)
		if err != nil {
			return opts, err
		}
		opts.Key = k
	} else {
		file := *f.senders
		if file == "" {
			cfg, err := f.load()
			if err != nil {
				return opts, err
			}
			file = cfg.Partners
		}
		if file == "" {
			return opts, errors.New("no sender key: pass --key, or --senders with a partner directory that lists the sender's signing_key")
		}
		ref, err := reference.Default()
		if err != nil {
			return opts, err
		}
		if opts.Trusted, err = reference.LoadPartners(file, ref); err != nil {
			return opts, fmt.Errorf("trusted senders: %w", err)
		}
	}
	if *f.identity != "" {
		ids, err := export.LoadIdentities(*f.identity)
		if err != nil {
			return opts, err
		}
		opts.Identities = ids
	}
	return opts, nil
}

func printVerified(w io.Writer, file string, res *export.Result) {
	m := res.Manifest
	fmt.Fprintf(w, "%s: OK — signer, signature and every byte of all %d files (%d bytes) match\n", file, res.Files, res.Bytes)
	fmt.Fprintf(w, "  package  %s, created %s\n", m.PackageID, m.Created.Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(w, "  from     %s (%s), by %s\n", m.Creator.Agency, m.Creator.Country, m.Creator.Who)
	fmt.Fprintf(w, "  for      %s (%s, %s)\n", m.Partner.Agency, m.Partner.ID, m.Partner.Country)
	fmt.Fprintf(w, "  TLP:%s; purpose: %s; legal basis: %s\n", strings.ToUpper(m.TLP), m.Purpose, m.LegalBasis)
	if s := res.Sender; s != nil {
		fmt.Fprintf(w, "  signed by %s: trusted sender %s (%s, %s)\n", m.Creator.SigningKey, s.ID, s.Agency, s.Country)
	} else {
		fmt.Fprintf(w, "  signed by %s (the key given)\n", m.Creator.SigningKey)
	}
}
