package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/counternet/counternet/internal/export"
)

// runKeysGenerate is `counternet keys generate [--out DIR]`: it writes an
// ed25519 signing key pair and an age key pair, private files 0600, and
// prints the public halves as partners.yaml takes them.
func runKeysGenerate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("keys generate", stderr)
	out := f.fs.String("out", "", "directory for the key files (default <data_dir>/keys)")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		cfg, err := f.load()
		if err != nil {
			return err
		}
		*out = filepath.Join(cfg.DataDir, "keys")
	}
	ks, err := export.GenerateKeys(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "keys written to %s:\n", ks.Dir)
	fmt.Fprintf(stdout, "  %-12s ed25519 signing key (private, 0600): signs the packages you export\n", export.SigningKeyFile)
	fmt.Fprintf(stdout, "  %-12s %s\n", export.SigningPubFile, ks.SigningPub)
	fmt.Fprintf(stdout, "  %-12s age identity (private, 0600): opens packages encrypted to you\n", export.AgeIdentityFile)
	fmt.Fprintf(stdout, "  %-12s %s\n", export.AgeRecipientFile, ks.AgeRecipient)
	fmt.Fprintf(stdout, "give your partners the public halves, as their partners.yaml takes them:\n  signing_key: %q\n  encryption_key: %s\n", ks.SigningPub, ks.AgeRecipient)
	return nil
}
