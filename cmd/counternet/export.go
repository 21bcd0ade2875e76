package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/export"
	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/stack"
)

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// runExport is `counternet export`: it selects records from ClickHouse for
// a partner agency and writes one signed (and, for a partner with an age
// key, encrypted) package, or refuses with the reason. Every attempt is
// audited, refusals the command line finds included.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("export", stderr)
	fs := f.fs
	var vendors, markets, routes, jurisdictions, minimize listFlag
	partner := fs.String("partner", "", "partner id from the partner directory (required)")
	caseRef := fs.String("case", "", "case reference")
	caseFile := fs.String("case-file", "", "case file (YAML: id, title, summary, offences, law, urgency, preservation_days, selection, issuing_authority)")
	fs.Var(&vendors, "vendor", "vendor: `market:handle`, or a handle on every market (repeatable, comma separated)")
	fs.Var(&markets, "market", "`market` id (repeatable)")
	fs.Var(&routes, "route", "route `FROM:TO` in alpha-2 codes, e.g. NL:DE; one side may be empty (repeatable)")
	fs.Var(&jurisdictions, "jurisdiction", "alpha-2 `code` a listing ships from or to (repeatable)")
	since := fs.String("since", "", "first observation time: YYYY-MM-DD or RFC 3339")
	until := fs.String("until", "", "last observation time: YYYY-MM-DD (the whole day) or RFC 3339")
	tlp := fs.String("tlp", "", "TLP 2.0 label of the package: clear, green, amber, amber+strict, red (required)")
	purpose := fs.String("purpose", "", "why the partner receives this (required)")
	legal := fs.String("legal-basis", "", "legal basis of the transfer, e.g. \"Budapest Convention Art. 26\" (required)")
	evidence := fs.String("evidence", "auto", "evidence the records rest on: full (the captured pages; refused when the partner's policy leaves out a field they show), index (hash, content and capture time of each page), none, or auto (full when allowed, else index)")
	noEvidence := fs.Bool("no-evidence", false, "leave the evidence out (as --evidence none)")
	allowMissing := fs.Bool("allow-missing-evidence", false, "export even when captured pages are missing from the capture store or no longer match their hash; the report and draft request say which")
	fs.Var(&minimize, "minimize", "`fields` to leave out, table.column or column (e.g. listing_obs.description,contacts)")
	out := fs.String("o", "", "package file to write (required; must not exist)")
	signingKey := fs.String("signing-key", "", "ed25519 signing key (default <data_dir>/keys/signing.key; 'counternet keys generate' writes one)")
	agency := fs.String("agency", "", "name of the sending agency (default: export.agency of the config)")
	country := fs.String("country", "", "alpha-2 code of the sending agency's country (default: export.country)")
	contact := fs.String("contact", "", "contact point of the sending agency")
	who := fs.String("who", "", "who is exporting (default: the login name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	// The sending agency comes from the config unless a flag says otherwise.
	for flagVal, cfgVal := range map[*string]string{agency: cfg.Export.Agency, country: cfg.Export.Country,
		contact: cfg.Export.Contact, signingKey: cfg.Export.SigningKey} {
		if *flagVal == "" {
			*flagVal = cfgVal
		}
	}
	// What is wrong with the command line is a refusal like any other:
	// collected here, audited by Export.
	var problems, missing []string
	for name, v := range map[string]string{"--partner": *partner, "--tlp": *tlp, "--purpose": *purpose,
		"--legal-basis": *legal, "-o": *out, "--agency": *agency, "--country": *country} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		problems = append(problems, fmt.Sprintf("missing or blank %s (see counternet export -h)", strings.Join(missing, ", ")))
	}
	req := export.Request{Partner: *partner, Case: *caseRef, TLP: *tlp, Purpose: *purpose, LegalBasis: *legal,
		Evidence: *evidence != "none" && !*noEvidence, AllowMissingEvidence: *allowMissing, Minimize: minimize, Who: *who, Output: *out}
	if *evidence != "auto" && *evidence != "none" {
		req.EvidenceForm = *evidence
	}
	req.Selection = export.Selection{Vendors: vendors, Markets: markets, Jurisdictions: jurisdictions}
	for _, r := range routes {
		rt, err := export.ParseRoute(r)
		if err != nil {
			problems = append(problems, "--route: "+err.Error())
			continue
		}
		req.Selection.Routes = append(req.Selection.Routes, rt)
	}
	if *since != "" {
		if req.Selection.Since, err = export.ParseTime(*since); err != nil {
			problems = append(problems, "--since: "+err.Error())
		}
	}
	if *until != "" {
		if req.Selection.Until, err = export.ParseTime(*until); err != nil {
			problems = append(problems, "--until: "+err.Error())
		} else if len(*until) == len("2006-01-02") {
			req.Selection.Until = req.Selection.Until.Add(24*time.Hour - time.Second)
		}
	}
	if *caseFile != "" {
		if req.CaseInfo, err = export.LoadCase(*caseFile); err != nil {
			problems = append(problems, err.Error())
		} else if err := req.CaseInfo.Apply(&req.Selection); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if req.Who == "" {
		if u, err := user.Current(); err == nil {
			req.Who = u.Username
		}
	}
	if *signingKey == "" {
		*signingKey = filepath.Join(cfg.DataDir, "keys", export.SigningKeyFile)
	}
	key, err := export.LoadSigningKey(*signingKey)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("%w (create one with: counternet keys generate --out %s)", err, filepath.Dir(*signingKey))
		}
		problems = append(problems, err.Error())
	}
	if cfg.Partners == "" {
		return errors.New("the config names no partner directory (partners)")
	}
	ref, err := reference.Default()
	if err != nil {
		return err
	}
	partners, err := reference.LoadPartners(cfg.Partners, ref)
	if err != nil {
		return err
	}
	req.Problems = problems
	s, err := f.open(ctx, stderr, stack.Need{Warehouse: true, Existing: true, ClickHouseUser: stack.ExporterUser})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	store, err := capture.Open(filepath.Join(cfg.DataDir, "captures"))
	if err != nil {
		return err
	}
	defer store.Close()
	x := &export.Exporter{
		DB: s.DB, Ref: ref, Partners: partners, SigningKey: key, Captures: store, Log: s.Log,
		Sender:   export.Sender{Agency: *agency, Country: strings.ToUpper(strings.TrimSpace(*country)), Contact: *contact},
		AuditLog: filepath.Join(cfg.DataDir, export.AuditLogFile),
		Progress: func(p export.Progress) { fmt.Fprintf(stderr, "export: %s %d\n", p.Stage, p.Done) },
	}
	res, err := x.Export(ctx, req)
	if err != nil && len(missing) > 0 {
		// Refused and audited like any refusal; a usage error all the same.
		return &usageError{err}
	}
	if err != nil {
		return err
	}
	printOutcome(stdout, res, filepath.Join(cfg.DataDir, "keys", export.AgeIdentityFile))
	return nil
}

// printOutcome says what was written and prints the partner's verify
// command; for an encrypted package it names identity, the age key file
// where `counternet keys generate` puts it by default.
func printOutcome(w io.Writer, res *export.Outcome, identity string) {
	m := res.Manifest
	fmt.Fprintf(w, "package %s written: %s (%d bytes)\n", m.PackageID, res.File, res.Size)
	fmt.Fprintf(w, "  for      %s (%s, %s), TLP:%s\n", m.Partner.Agency, m.Partner.ID, m.Partner.Country, strings.ToUpper(m.TLP))
	if m.EncryptedTo != "" {
		fmt.Fprintf(w, "  encrypted to %s\n", m.EncryptedTo)
	} else {
		fmt.Fprintln(w, "  not encrypted (the partner has no age key)")
	}
	var counts []string
	for _, k := range []string{"listings", "vendors", "actors", "vendor_links", "crypto_addresses", "routes", "evidence_records", "stix_objects"} {
		counts = append(counts, fmt.Sprintf("%s %d", strings.ReplaceAll(k, "_", " "), m.Counts[k]))
	}
	fmt.Fprintf(w, "  holds    %s\n", strings.Join(counts, ", "))
	switch ev := m.Evidence; {
	case !ev.Included:
		fmt.Fprintln(w, "  evidence not included (--evidence none)")
	case ev.Form == export.EvidenceIndex:
		fmt.Fprintf(w, "  evidence as an index of %d captured pages (%s), not the pages\n", ev.Indexed, export.EvidenceIndexFile)
	}
	for _, n := range m.Evidence.Notes {
		fmt.Fprintf(w, "  NOTE     %s\n", n)
	}
	fmt.Fprintf(w, "  sha256   %s (recorded in export_audit)\n", res.SHA256)
	line := fmt.Sprintf("counternet verify %s --key %s", shellQuote(res.File), m.Creator.SigningKey)
	if m.EncryptedTo != "" {
		line += " --identity " + shellQuote(identity)
		fmt.Fprintf(w, "  the partner checks it with (--identity: their age key file for %s):\n    %s\n", m.EncryptedTo, line)
		return
	}
	fmt.Fprintf(w, "  the partner checks it with:\n    %s\n", line)
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe
// characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// parseInterspersed parses flags that may come before or after the
// positional arguments, which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
