package export

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"filippo.io/age"
)

// Limits on reading a package.
const (
	maxManifest    = 256 << 20 // manifest.json
	maxSignature   = 4 << 10   // manifest.sig
	maxEntries     = 2_000_000 // files in a package
	maxEntryBytes  = 16 << 30  // one file
	maxTotalBytes  = 64 << 30  // all files
	maxPackagePath = 512
)

// ageMagic starts every age-encrypted file.
var ageMagic = []byte("age-encryption.org/v1\n")

// seal writes the package: manifest.json and manifest.sig, then every file
// of m.Files read from dir, as a tar archive, encrypted to recipient when it
// is not nil.
func seal(w io.Writer, dir string, m *Manifest, key ed25519.PrivateKey, recipient age.Recipient) error {
	manifest, err := encodeManifest(m)
	if err != nil {
		return err
	}
	sig := sign(key, manifest)
	bw := bufio.NewWriterSize(w, 1<<20)
	var out io.Writer = bw
	var enc io.WriteCloser
	if recipient != nil {
		if enc, err = age.Encrypt(bw, recipient); err != nil {
			return fmt.Errorf("sealing package: encrypting: %w", err)
		}
		out = enc
	}
	tw := tar.NewWriter(out)
	hdr := func(name string, size int64) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: m.Created, Format: tar.FormatPAX}
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{ManifestFile, manifest}, {SignatureFile, sig}} {
		if err := tw.WriteHeader(hdr(f.name, int64(len(f.data)))); err != nil {
			return fmt.Errorf("sealing package: %s: %w", f.name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return fmt.Errorf("sealing package: %s: %w", f.name, err)
		}
	}
	for _, fe := range m.Files {
		if err := copyInto(tw, hdr(fe.Path, fe.Size), filepath.Join(dir, filepath.FromSlash(fe.Path))); err != nil {
			return fmt.Errorf("sealing package: %s: %w", fe.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("sealing package: %w", err)
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			return fmt.Errorf("sealing package: encrypting: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sealing package: %w", err)
	}
	return nil
}

func copyInto(tw *tar.Writer, h *tar.Header, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(f, h.Size+1))
	if err != nil {
		return err
	}
	if n != h.Size {
		return fmt.Errorf("size changed while sealing: %d bytes, manifest says %d", n, h.Size)
	}
	return nil
}

// VerifyOptions say how to check a package.
type VerifyOptions struct {
	// Key is the sender's ed25519 public key. Without it the package is
	// checked against the key its own manifest names, which proves the
	// package is intact but not who made it (Result.KeyFromManifest).
	Key ed25519.PublicKey
	// Identities decrypt an encrypted package.
	Identities []age.Identity
	// Dir, when set, receives the package's files (manifest and signature
	// included). It must not exist yet; nothing is left there unless the
	// whole package verifies.
	Dir string
}

// Result is what a verified package holds.
type Result struct {
	Manifest *Manifest
	// KeyFromManifest is set when the signature was checked against the key
	// the manifest names rather than one the caller gave.
	KeyFromManifest bool
	Encrypted       bool
	Files           int
	Bytes           int64
}

// VerifyFile checks the package in file; see Verify.
func VerifyFile(file string, opts VerifyOptions) (*Result, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("verifying package: %w", err)
	}
	defer f.Close()
	res, err := Verify(f, opts)
	if err != nil {
		return res, fmt.Errorf("verifying %s: %w", file, err)
	}
	return res, nil
}

// Verify reads a package, decrypting it with opts.Identities when it is
// encrypted, checks manifest.sig over manifest.json, and checks every file
// against the manifest's SHA-256 and size, in package order. The error
// names the first thing that does not match: the signature, a file whose
// hash or size differs, a file missing from the package or one the
// manifest does not list. It wraps ErrTampered for a mismatch,
// ErrEncrypted for an encrypted package without identities, ErrBadPackage
// for a file that is not a package.
func Verify(r io.Reader, opts VerifyOptions) (_ *Result, err error) {
	res := &Result{}
	br := bufio.NewReaderSize(r, 1<<20)
	head, _ := br.Peek(len(ageMagic))
	var src io.Reader = br
	if bytes.Equal(head, ageMagic) {
		res.Encrypted = true
		if len(opts.Identities) == 0 {
			return res, fmt.Errorf("%w: give the age identity (key file) it was encrypted to", ErrEncrypted)
		}
		if src, err = age.Decrypt(br, opts.Identities...); err != nil {
			return res, fmt.Errorf("decrypting: %w", err)
		}
	}
	var tmp string
	if opts.Dir != "" {
		if _, err := os.Lstat(opts.Dir); err == nil {
			return res, fmt.Errorf("unpacking: %s already exists", opts.Dir)
		}
		parent := filepath.Dir(filepath.Clean(opts.Dir))
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return res, fmt.Errorf("unpacking: %w", err)
		}
		if tmp, err = os.MkdirTemp(parent, ".counternet-open-"); err != nil {
			return res, fmt.Errorf("unpacking: %w", err)
		}
		defer func() {
			if err != nil {
				os.RemoveAll(tmp)
			}
		}()
	}
	tr := tar.NewReader(src)
	manifest, err := readSmall(tr, ManifestFile, maxManifest, tmp)
	if err != nil {
		return res, err
	}
	sig, err := readSmall(tr, SignatureFile, maxSignature, tmp)
	if err != nil {
		return res, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(manifest))
	if err := dec.Decode(&m); err != nil {
		// Checked before the signature only to find the key; a changed
		// manifest fails the signature below when a key is given.
		if opts.Key == nil {
			return res, fmt.Errorf("%w: %s does not decode: %w", ErrTampered, ManifestFile, err)
		}
	}
	key := opts.Key
	if key == nil {
		res.KeyFromManifest = true
		if key, err = ParsePublicKey(m.Creator.SigningKey); err != nil {
			return res, fmt.Errorf("%w: %s: creator.signing_key: %w", ErrTampered, ManifestFile, err)
		}
	}
	if err := checkSignature(key, manifest, sig); err != nil {
		return res, err
	}
	if m.Format != Format {
		return res, fmt.Errorf("%w: format %q, want %q", ErrBadPackage, m.Format, Format)
	}
	res.Manifest = &m
	want := map[string]FileEntry{}
	for _, fe := range m.Files {
		want[fe.Path] = fe
	}
	seen := map[string]bool{}
	next := 0 // index in m.Files of the next file expected
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			after := "after " + SignatureFile
			if next > 0 {
				after = "after " + m.Files[next-1].Path
			}
			return res, fmt.Errorf("%w: the archive is damaged %s: %w", ErrTampered, after, err)
		}
		if res.Files >= maxEntries {
			return res, fmt.Errorf("%w: more than %d files", ErrBadPackage, maxEntries)
		}
		name := h.Name
		fe, ok := want[name]
		if !ok || seen[name] {
			if next < len(m.Files) && !seen[m.Files[next].Path] && name != m.Files[next].Path {
				return res, fmt.Errorf("%w: %s: missing from the package (found %q where it belongs)", ErrTampered, m.Files[next].Path, short(name))
			}
			return res, fmt.Errorf("%w: %q: not listed in %s", ErrTampered, short(name), ManifestFile)
		}
		if h.Typeflag != tar.TypeReg {
			return res, fmt.Errorf("%w: %s: not a regular file", ErrTampered, name)
		}
		if h.Size != fe.Size {
			return res, fmt.Errorf("%w: %s: %d bytes, the manifest says %d", ErrTampered, name, h.Size, fe.Size)
		}
		sum, n, err := hashEntry(tr, name, fe.Size, tmp)
		if err != nil {
			return res, err
		}
		if sum != fe.SHA256 {
			return res, fmt.Errorf("%w: %s: SHA-256 %s, the manifest says %s", ErrTampered, name, sum, fe.SHA256)
		}
		seen[name] = true
		res.Files++
		res.Bytes += n
		if res.Bytes > maxTotalBytes {
			return res, fmt.Errorf("%w: larger than %d bytes", ErrBadPackage, int64(maxTotalBytes))
		}
		for next < len(m.Files) && seen[m.Files[next].Path] {
			next++
		}
	}
	for _, fe := range m.Files {
		if !seen[fe.Path] {
			return res, fmt.Errorf("%w: %s: missing from the package", ErrTampered, fe.Path)
		}
	}
	if tmp != "" {
		if err := os.Rename(tmp, opts.Dir); err != nil {
			return res, fmt.Errorf("unpacking: %w", err)
		}
	}
	return res, nil
}

// readSmall reads the next entry, which must be name, whole into memory,
// also writing it under dir when dir is set.
func readSmall(tr *tar.Reader, name string, limit int64, dir string) ([]byte, error) {
	h, err := tr.Next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: no %s", ErrBadPackage, name)
		}
		return nil, fmt.Errorf("%w: reading %s: %w", ErrBadPackage, name, err)
	}
	if h.Name != name {
		return nil, fmt.Errorf("%w: first files must be %s and %s, found %q", ErrBadPackage, ManifestFile, SignatureFile, short(h.Name))
	}
	if h.Size > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadPackage, name, limit)
	}
	b, err := io.ReadAll(io.LimitReader(tr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrTampered, name, err)
	}
	if dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return nil, fmt.Errorf("unpacking %s: %w", name, err)
		}
	}
	return b, nil
}

// hashEntry hashes the current entry, also writing it under dir when set.
func hashEntry(tr *tar.Reader, name string, size int64, dir string) (string, int64, error) {
	if size > maxEntryBytes {
		return "", 0, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadPackage, name, int64(maxEntryBytes))
	}
	h := sha256.New()
	var w io.Writer = h
	var f *os.File
	if dir != "" {
		if !safePath(name) {
			return "", 0, fmt.Errorf("%w: unsafe path %q", ErrBadPackage, short(name))
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return "", 0, fmt.Errorf("unpacking %s: %w", name, err)
		}
		var err error
		if f, err = os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return "", 0, fmt.Errorf("unpacking %s: %w", name, err)
		}
		defer f.Close()
		w = io.MultiWriter(h, f)
	}
	n, err := io.Copy(w, io.LimitReader(tr, size+1))
	if err != nil {
		return "", n, fmt.Errorf("%w: %s: %w", ErrTampered, name, err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return "", n, fmt.Errorf("unpacking %s: %w", name, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// safePath reports whether a package path stays inside the package.
func safePath(p string) bool {
	return p != "" && len(p) <= maxPackagePath && !strings.Contains(p, "\\") &&
		path.Clean(p) == p && filepath.IsLocal(filepath.FromSlash(p))
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
