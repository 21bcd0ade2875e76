package export

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// partnerScript is the shell script docs/packages.md gives partners to
// check a package with standard tools, between its markers.
func partnerScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/packages.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "<!-- partner-check: begin -->")
	body, _, ok2 := strings.Cut(after, "<!-- partner-check: end -->")
	if !ok || !ok2 {
		t.Fatal("docs/packages.md has no partner-check script between its markers")
	}
	body = strings.TrimSpace(body)
	body = strings.TrimPrefix(body, "```sh")
	return strings.TrimSuffix(body, "```")
}

// needTools skips the test without the tools, unless CI is set: then it
// fails.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (deploy/deps.sh --with-test-tools installs it)", tool)
			}
			t.Skipf("%s is not installed (deploy/deps.sh --with-test-tools installs it)", tool)
		}
	}
}

// TestPartnerChecksWithStandardTools runs the documented check — Debian's
// age, openssl, sha256sum, jq, tar — on an encrypted and an unencrypted
// package, with no counternet code involved, and checks that it fails for
// a changed file and for another sender's key.
func TestPartnerChecksWithStandardTools(t *testing.T) {
	needTools(t, "bash", "age", "openssl", "sha256sum", "jq", "tar", "base64", "cmp")
	script := partnerScript(t)
	ks, err := GenerateKeys(filepath.Join(t.TempDir(), "partner"))
	if err != nil {
		t.Fatal(err)
	}
	rcpt, err := age.ParseX25519Recipient(ks.AgeRecipient)
	if err != nil {
		t.Fatal(err)
	}
	stage := t.TempDir()
	files := map[string]string{"bundle.json": `{"type":"bundle"}`, "listings.csv": "a,b\n1,2\n", "request/request.md": "# DRAFT\n",
		"evidence/" + strings.Repeat("ab", 32) + ".warc.gz": "\x1f\x8bwarc"}
	for name, data := range files {
		p := filepath.Join(stage, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	other, _, _ := ed25519.GenerateKey(nil)
	entries, err := listFiles(stage)
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Format: Format, PackageID: "p1", Created: time.Unix(1_800_000_000, 0).UTC(),
		Creator: Creator{Agency: "BKA (test)", Country: "DE", SigningKey: FormatPublicKey(pub)}, Files: entries, Counts: map[string]uint64{}}
	dir := t.TempDir()
	run := func(pkg string, key ed25519.PublicKey) (string, error) {
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "PKG="+pkg, "IDENTITY="+filepath.Join(ks.Dir, AgeIdentityFile), "SENDER_KEY="+FormatPublicKey(key), "TMPDIR="+dir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, enc := range []bool{true, false} {
		var buf bytes.Buffer
		var r age.Recipient
		if enc {
			r = rcpt
		}
		if err := seal(&buf, stage, m, priv, r); err != nil {
			t.Fatal(err)
		}
		pkg := filepath.Join(dir, "pkg.cnpkg")
		if err := os.WriteFile(pkg, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := run(pkg, pub)
		if err != nil || !strings.Contains(out, "Signature Verified Successfully") || !strings.Contains(out, "package verified") {
			t.Fatalf("encrypted=%v: the documented check fails: %v\n%s", enc, err, out)
		}
		if out, err := run(pkg, other); err == nil {
			t.Errorf("encrypted=%v: another sender's key passes:\n%s", enc, out)
		}
		if enc {
			continue
		}
		// A changed byte of a file: the hash check names it.
		raw := buf.Bytes()
		offsets, _ := entryOffsets(t, raw)
		bad := append([]byte(nil), raw...)
		bad[offsets["listings.csv"][0]] ^= 0x01
		if err := os.WriteFile(pkg, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := run(pkg, pub); err == nil || !strings.Contains(out, "listings.csv: FAILED") {
			t.Errorf("changed listings.csv: err %v\n%s", err, out)
		}
	}
}
