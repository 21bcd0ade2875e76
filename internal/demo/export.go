package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/export"
	"github.com/counternet/counternet/internal/reference"
)

// DemoPartner is the partner agency the demo exports to.
var DemoPartner = reference.Partner{
	ID: "demo-partner", Agency: "Demo partner agency (stand-in for a Dutch police unit)", Country: "NL",
	Contact: "duty desk of the demo partner", MaxTLP: "amber", ExcludedFields: []string{"vendor_obs.contacts"},
}

// ExportDemo ends the demo the way an investigator's work ends: it writes
// key pairs for a sending agency and a demo partner under
// <data_dir>/export-demo, exports everything collected as a package for the
// partner (TLP:AMBER, contacts left out as the partner's policy asks,
// evidence included, encrypted to the partner), opens and verifies it with
// the partner's keys, and prints where the package and its report are.
func ExportDemo(ctx context.Context, env *Env, out io.Writer) (path string, err error) {
	cfg := env.Stack.Cfg
	dir := filepath.Join(cfg.DataDir, "export-demo")
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("demo export: %w", err)
	}
	sender, err := export.GenerateKeys(filepath.Join(dir, "sender-keys"))
	if err != nil {
		return "", fmt.Errorf("demo export: %w", err)
	}
	partner, err := export.GenerateKeys(filepath.Join(dir, "partner-keys"))
	if err != nil {
		return "", fmt.Errorf("demo export: %w", err)
	}
	p := DemoPartner
	p.SigningKey, p.EncryptionKey = partner.SigningPub, partner.AgeRecipient
	key, err := export.LoadSigningKey(filepath.Join(sender.Dir, export.SigningKeyFile))
	if err != nil {
		return "", fmt.Errorf("demo export: %w", err)
	}
	ref, err := reference.Default()
	if err != nil {
		return "", fmt.Errorf("demo export: %w", err)
	}
	store, err := capture.Open(filepath.Join(cfg.DataDir, "captures"))
	if err != nil {
		return "", fmt.Errorf("demo export: %w", err)
	}
	defer store.Close()
	x := &export.Exporter{
		DB: env.Stack.DB, Ref: ref, Partners: []reference.Partner{p}, SigningKey: key, Captures: store,
		Sender:   export.Sender{Agency: "Demo sending agency (counternet demo)", Country: "DE", Contact: "demo cybercrime unit"},
		AuditLog: filepath.Join(cfg.DataDir, export.AuditLogFile), Log: env.log,
	}
	path = filepath.Join(dir, "package-for-"+p.ID+".cnpkg")
	res, err := x.Export(ctx, export.Request{
		Partner: p.ID, Case: "DEMO-1", TLP: "amber", Evidence: true, Minimize: []string{"contacts"},
		Purpose:    "Demo: vendors and routes of the fixture markets shipping to the partner's region",
		LegalBasis: "Budapest Convention Art. 26 (spontaneous information) — demo",
		Who:        "counternet-demo", Output: path,
	})
	if err != nil {
		return "", fmt.Errorf("demo export: %w", err)
	}
	ids, err := export.LoadIdentities(filepath.Join(partner.Dir, export.AgeIdentityFile))
	if err != nil {
		return "", fmt.Errorf("demo export: %w", err)
	}
	pub, err := export.ParsePublicKey(sender.SigningPub)
	if err != nil {
		return "", fmt.Errorf("demo export: %w", err)
	}
	opened := filepath.Join(dir, "opened")
	v, err := export.VerifyFile(path, export.VerifyOptions{Key: pub, Identities: ids, Dir: opened})
	if err != nil {
		return "", fmt.Errorf("demo export: the partner could not verify the package: %w", err)
	}
	c := res.Manifest.Counts
	fmt.Fprintf(out, "\nexported package %s for %s (%s), TLP:%s, encrypted to the partner's age key:\n",
		res.Manifest.PackageID, p.ID, p.Country, strings.ToUpper(res.Manifest.TLP))
	fmt.Fprintf(out, "  %d listings, %d vendors (%d actors), %d vendor links, %d crypto addresses, %d routes, %d evidence records, %d STIX objects\n",
		c["listings"], c["vendors"], c["actors"], c["vendor_links"], c["crypto_addresses"], c["routes"], c["evidence_records"], c["stix_objects"])
	fmt.Fprintf(out, "  package  %s (%d bytes, sha256 %s)\n", path, res.Size, res.SHA256)
	fmt.Fprintf(out, "  verified and opened with the partner's keys: %d files match their signed hashes\n", v.Files)
	fmt.Fprintf(out, "  report   %s\n", filepath.Join(opened, "report.html"))
	fmt.Fprintf(out, "  check it yourself: counternet verify %s --key %s --identity %s\n",
		path, filepath.Join(sender.Dir, export.SigningPubFile), filepath.Join(partner.Dir, export.AgeIdentityFile))
	return path, nil
}
