package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/export"
)

// TestPrintedVerifyLineNamesIdentity: for an encrypted package the verify
// line printed for the partner names --identity, quoted for the shell.
func TestPrintedVerifyLineNamesIdentity(t *testing.T) {
	m := &export.Manifest{PackageID: "p", EncryptedTo: "age1xyz", Creator: export.Creator{SigningKey: "ed25519:AAAA+/=="}, Counts: map[string]uint64{}}
	var out bytes.Buffer
	printOutcome(&out, &export.Outcome{Manifest: m, File: "/tmp/out dir/pkg.cnpkg"}, "/var/lib/counternet/keys/age.key")
	want := "counternet verify '/tmp/out dir/pkg.cnpkg' --key ed25519:AAAA+/== --identity /var/lib/counternet/keys/age.key"
	if !strings.Contains(out.String(), want) {
		t.Errorf("printed:\n%s\nwant a line with %q", out.String(), want)
	}
	m.EncryptedTo = ""
	out.Reset()
	printOutcome(&out, &export.Outcome{Manifest: m, File: "pkg.cnpkg"}, "age.key")
	if strings.Contains(out.String(), "--identity") {
		t.Errorf("unencrypted package: printed --identity:\n%s", out.String())
	}
}

// TestVerifyWithoutKeyNeedsTrustedSenders: verify without --key reads the
// trusted senders; an empty directory of them refuses every signer.
func TestVerifyWithoutKeyNeedsTrustedSenders(t *testing.T) {
	dir := t.TempDir()
	senders := filepath.Join(dir, "partners.yaml")
	if err := os.WriteFile(senders, []byte("partners: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(dir, "pkg.cnpkg")
	if err := os.WriteFile(pkg, []byte("not a package"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := runVerify(context.Background(), []string{pkg, "--senders", senders}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "untrusted") {
		t.Errorf("no key, no trusted senders: err = %v", err)
	}
}
