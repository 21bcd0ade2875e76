package export

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/reference"
)

// smallPackage seals a package of a few files without the warehouse and
// returns it with its signing key.
func smallPackage(t *testing.T, files map[string]string, country string) ([]byte, ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	stage := t.TempDir()
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
	entries, err := listFiles(stage)
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Format: Format, PackageID: "p1", Created: time.Unix(1_800_000_000, 0).UTC(),
		Creator: Creator{Agency: "BKA (test)", Country: country, SigningKey: FormatPublicKey(pub)}, Files: entries, Counts: map[string]uint64{}}
	var buf bytes.Buffer
	if err := seal(&buf, stage, m, priv, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), pub, priv
}

var smallFiles = map[string]string{"bundle.json": `{"type":"bundle"}`, "listings.csv": "a,b\n1,2\n", "request/request.md": "# DRAFT\n"}

// withChecksum recomputes a tar header block's checksum after a change.
func withChecksum(h []byte) []byte {
	copy(h[148:156], "        ")
	var sum int64
	for _, c := range h[:512] {
		sum += int64(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

// TestNonCanonicalMembersRefused: a sparse, PAX-sparse or non-regular
// member, a PAX record, a changed padding byte or bytes after the end are
// each refused by Verify (so by verify and open), naming the member, and
// open leaves nothing behind.
func TestNonCanonicalMembersRefused(t *testing.T) {
	raw, pub, _ := smallPackage(t, smallFiles, "DE")
	if _, err := Verify(bytes.NewReader(raw), VerifyOptions{Key: pub}); err != nil {
		t.Fatalf("untouched: %v", err)
	}
	offsets, _ := entryOffsets(t, raw)
	bundle := offsets["bundle.json"]
	hdrAt := bundle[0] - 512
	typeflag := func(flag byte) []byte {
		bad := append([]byte(nil), raw...)
		bad[hdrAt+156] = flag
		withChecksum(bad[hdrAt : hdrAt+512])
		return bad
	}
	// A PAX extended header (GNU sparse records) before bundle.json's
	// header, as a 9 KB package writing a 2 GiB file had.
	var pax bytes.Buffer
	tw := tar.NewWriter(&pax)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "bundle.json", Size: bundle[1], Mode: 0o644,
		ModTime: time.Unix(1_800_000_000, 0), PAXRecords: map[string]string{"comment": "GNU.sparse.realsize=2147483648"}, Format: tar.FormatPAX}); err != nil {
		t.Fatal(err)
	}
	withPAX := append(append(append([]byte(nil), raw[:hdrAt]...), pax.Bytes()...), raw[hdrAt+512:]...)
	// A changed byte of the header's user name field (where a writer
	// would put what a PAX record overrides), of the padding after
	// bundle.json, and bytes after the end.
	uname := append([]byte(nil), raw...)
	uname[hdrAt+265] = 'x'
	withChecksum(uname[hdrAt : hdrAt+512])
	pad := append([]byte(nil), raw...)
	pad[bundle[0]+bundle[1]+3] = 'x'
	for _, tt := range []struct {
		name, want string
		pkg        []byte
	}{
		{"GNU sparse member", "bundle.json", typeflag('S')},
		{"symlink member", "bundle.json", typeflag('2')},
		{"directory member", "bundle.json", typeflag('5')},
		{"PAX extended header", "bundle.json", withPAX},
		{"changed user name", "bundle.json", uname},
		{"changed padding", "padding after bundle.json", pad},
		{"trailing bytes", "follow the end", append(append([]byte(nil), raw...), 0)},
		{"trailing member", "not listed", append(append([]byte(nil), raw[:len(raw)-1024]...), raw[hdrAt:]...)},
	} {
		dir := filepath.Join(t.TempDir(), "open")
		_, err := Verify(bytes.NewReader(tt.pkg), VerifyOptions{Key: pub, Dir: dir})
		if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want ErrTampered naming %q", tt.name, err, tt.want)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: open left %s", tt.name, dir)
		}
	}
}

// TestManifestFileListChecked: one check of the file list for seal and
// Verify: unsafe paths, a file and a child of it, a repeated or listed
// manifest.json, bad hashes.
func TestManifestFileListChecked(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for _, tt := range []struct {
		name  string
		files []FileEntry
		want  string
	}{
		{"parent path", []FileEntry{{"../x", h, 1}}, "unsafe path"},
		{"absolute path", []FileEntry{{"/etc/x", h, 1}}, "unsafe path"},
		{"control character", []FileEntry{{"a\nb", h, 1}}, "unsafe path"},
		{"file and child", []FileEntry{{"request", h, 1}, {"request/request.md", h, 1}}, "as a file and as the directory"},
		{"repeated file", []FileEntry{{"a.csv", h, 1}, {"a.csv", h, 1}}, "listed twice"},
		{"manifest listed", []FileEntry{{ManifestFile, h, 1}}, "listed as a file"},
		{"bad hash", []FileEntry{{"a.csv", "XYZ", 1}}, "not a SHA-256"},
		{"negative size", []FileEntry{{"a.csv", h, -1}}, "out of range"},
	} {
		err := checkFiles(tt.files)
		if !errors.Is(err, ErrBadPackage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want ErrBadPackage with %q", tt.name, err, tt.want)
		}
	}
	// A signed manifest that lists a file and a child of it: Verify
	// refuses it before reading a file.
	pub, priv, _ := ed25519.GenerateKey(nil)
	m := &Manifest{Format: Format, PackageID: "p", Created: time.Unix(1_800_000_000, 0).UTC(),
		Creator: Creator{SigningKey: FormatPublicKey(pub)}, Files: []FileEntry{{"request", h, 1}, {"request/x", h, 1}}}
	man, _ := encodeManifest(m)
	var buf bytes.Buffer
	for _, e := range []struct {
		name string
		data []byte
	}{{ManifestFile, man}, {SignatureFile, sign(priv, man)}} {
		hdr, _ := canonicalHeader(e.name, int64(len(e.data)), m.Created)
		buf.Write(hdr)
		buf.Write(e.data)
		buf.Write(make([]byte, padding(int64(len(e.data)))))
	}
	if _, err := Verify(bytes.NewReader(buf.Bytes()), VerifyOptions{Key: pub}); !errors.Is(err, ErrBadPackage) ||
		!strings.Contains(err.Error(), "as a file and as the directory") {
		t.Errorf("signed manifest with a file and its child: err = %v", err)
	}
}

// TestUnknownSignerRefused: without --key a package verifies only when its
// signer is a trusted sender of the same country.
func TestUnknownSignerRefused(t *testing.T) {
	raw, pub, _ := smallPackage(t, smallFiles, "DE")
	other, _, _ := ed25519.GenerateKey(nil)
	entry := func(k ed25519.PublicKey, country string) reference.Partner {
		return reference.Partner{ID: "bka-de", Agency: "BKA", Country: country, SigningKey: FormatPublicKey(k)}
	}
	for _, tt := range []struct {
		name    string
		opts    VerifyOptions
		wantErr error
	}{
		{"no key, no trusted senders", VerifyOptions{}, ErrUntrusted},
		{"signer not trusted", VerifyOptions{Trusted: []reference.Partner{entry(other, "DE")}}, ErrUntrusted},
		{"trusted key, other country", VerifyOptions{Trusted: []reference.Partner{entry(pub, "FR")}}, ErrUntrusted},
		{"explicit other key", VerifyOptions{Key: other}, ErrTampered},
		{"trusted signer", VerifyOptions{Trusted: []reference.Partner{entry(other, "DE"), entry(pub, "DE")}}, nil},
		{"explicit key", VerifyOptions{Key: pub}, nil},
	} {
		res, err := Verify(bytes.NewReader(raw), tt.opts)
		if tt.wantErr == nil {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			} else if (res.Sender != nil) != (tt.opts.Key == nil) {
				t.Errorf("%s: sender %v", tt.name, res.Sender)
			}
			continue
		}
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}

// TestWorldReadableIdentityRefused: the age identity file follows the
// signing key's rule.
func TestWorldReadableIdentityRefused(t *testing.T) {
	ks, err := GenerateKeys(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(ks.Dir, AgeIdentityFile)
	if _, err := LoadIdentities(file); err != nil {
		t.Fatalf("0600 identity: %v", err)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIdentities(file); !errors.Is(err, ErrBadKey) {
		t.Errorf("0644 identity: err = %v, want ErrBadKey", err)
	}
}
