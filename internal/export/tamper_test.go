package export

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// entryOffsets maps each file of an unencrypted package to where its
// content starts in the file, and its size.
func entryOffsets(t *testing.T, raw []byte) (map[string][2]int64, []string) {
	t.Helper()
	cr := &countingReader{r: strings.NewReader(string(raw))}
	tr := tar.NewReader(cr)
	out := map[string][2]int64{}
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = [2]int64{cr.n, h.Size}
		names = append(names, h.Name)
		if _, err := io.Copy(io.Discard, tr); err != nil {
			t.Fatal(err)
		}
	}
	return out, names
}

func TestTamperedPackageFails(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	e := newEnv(t)
	req := e.request("plain-at", "tamper")
	out, err := e.x.Export(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out.File)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ParsePublicKey(e.sender.keys.SigningPub)
	if _, err := VerifyFile(out.File, VerifyOptions{Key: key}); err != nil {
		t.Fatalf("untouched package: %v", err)
	}
	offsets, names := entryOffsets(t, raw)
	var evidence string
	for _, n := range names {
		if strings.HasPrefix(n, "evidence/") {
			evidence = n
			break
		}
	}
	if evidence == "" {
		t.Fatal("package holds no evidence")
	}
	files := []string{ManifestFile, SignatureFile, "bundle.json", "listings.csv", "vendor_links.csv", "report.html",
		"request/request.md", "request/request.json", evidence, names[len(names)-1]}
	dir := t.TempDir()
	for _, name := range files {
		off, ok := offsets[name]
		if !ok {
			t.Fatalf("no %s in the package", name)
		}
		for _, pos := range []int64{0, off[1] / 2, off[1] - 1} {
			bad := append([]byte(nil), raw...)
			bad[off[0]+pos] ^= 0x01
			file := filepath.Join(dir, "bad.cnpkg")
			if err := os.WriteFile(file, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := VerifyFile(file, VerifyOptions{Key: key})
			if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), name) {
				t.Errorf("byte %d of %s changed: err = %v, want ErrTampered naming %s", pos, name, err, name)
			}
			// Without a key (checked against the manifest's own key) a
			// change is still found.
			if _, err := VerifyFile(file, VerifyOptions{}); err == nil {
				t.Errorf("byte %d of %s changed: verifies against the manifest's key", pos, name)
			}
		}
	}
	// A changed tar header (the name of the third file) is found too.
	bad := append([]byte(nil), raw...)
	bad[offsets[names[2]][0]-512] ^= 0x01
	file := filepath.Join(dir, "bad-header.cnpkg")
	if err := os.WriteFile(file, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyFile(file, VerifyOptions{Key: key}); !errors.Is(err, ErrTampered) {
		t.Errorf("header changed: err = %v, want ErrTampered", err)
	}
}

func TestTamperedEncryptedPackageFailsToOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	e := newEnv(t)
	out, err := e.x.Export(context.Background(), e.request("politie-nl", "tamper-enc"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out.File)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := LoadIdentities(e.partners["politie-nl"].identityFile())
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ParsePublicKey(e.sender.keys.SigningPub)
	if _, err := VerifyFile(out.File, VerifyOptions{}); !errors.Is(err, ErrEncrypted) {
		t.Errorf("encrypted package without identity: err = %v, want ErrEncrypted", err)
	}
	tmp := t.TempDir()
	for _, pos := range []int{40, 200, len(raw) / 2, len(raw) - 1} {
		bad := append([]byte(nil), raw...)
		bad[pos] ^= 0x01
		file := filepath.Join(tmp, "bad.cnpkg")
		if err := os.WriteFile(file, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(tmp, "opened")
		if _, err := VerifyFile(file, VerifyOptions{Key: key, Identities: ids, Dir: dir}); err == nil {
			t.Errorf("byte %d of %d changed: open succeeded", pos, len(raw))
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("byte %d changed: failed open left %s", pos, dir)
		}
		if left, _ := filepath.Glob(filepath.Join(tmp, ".counternet-open-*")); len(left) > 0 {
			t.Errorf("failed open left %v", left)
		}
	}
}

func TestWrongKeyFails(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	e := newEnv(t)
	plain, err := e.x.Export(context.Background(), e.request("plain-at", "plain"))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := e.x.Export(context.Background(), e.request("politie-nl", "enc"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ParsePublicKey(e.partners["fbi-us"].keys.SigningPub)
	if _, err := VerifyFile(plain.File, VerifyOptions{Key: other}); !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), SignatureFile) {
		t.Errorf("wrong signing key: err = %v, want ErrTampered naming %s", err, SignatureFile)
	}
	if _, err := VerifyFile(plain.File, VerifyOptions{}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("no key and no trusted senders: err = %v, want ErrUntrusted", err)
	}
	wrongID, _ := LoadIdentities(e.partners["nca-gb"].identityFile())
	dir := filepath.Join(t.TempDir(), "x")
	if _, err := VerifyFile(enc.File, VerifyOptions{Identities: wrongID, Dir: dir}); err == nil {
		t.Error("encrypted package opened with another partner's identity")
	}
	rightID, _ := LoadIdentities(e.partners["politie-nl"].identityFile())
	sender, _ := ParsePublicKey(e.sender.keys.SigningPub)
	if _, err := VerifyFile(enc.File, VerifyOptions{Identities: rightID, Key: other}); !errors.Is(err, ErrTampered) {
		t.Errorf("encrypted package, wrong signing key: err = %v, want ErrTampered", err)
	}
	if _, err := VerifyFile(enc.File, VerifyOptions{Identities: rightID, Key: sender, Dir: dir}); err != nil {
		t.Errorf("right keys: %v", err)
	}
}
