package export

import (
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
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/counternet/counternet/internal/reference"
)

// ErrUntrusted marks a package whose signer is neither the key the caller
// gave nor a sender of the trusted-senders file (the partner directory).
var ErrUntrusted = errors.New("package from an untrusted sender")

// VerifyOptions say how to check a package. The signer must be known:
// Key names it explicitly, otherwise it must be one of Trusted. Without
// either, Verify refuses the package.
type VerifyOptions struct {
	// Key is the sender's ed25519 public key.
	Key ed25519.PublicKey
	// Trusted are the senders whose packages are accepted when no Key is
	// given: the partner directory, whose signing_key entries verify what
	// each partner sends. The signer's key must be one of them and the
	// manifest must name that entry's country.
	Trusted []reference.Partner
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
	// Sender is the trusted-senders entry the signer matched; nil when
	// the caller gave the key.
	Sender    *reference.Partner
	Encrypted bool
	Files     int
	Bytes     int64
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
// encrypted, and checks every byte of it: each tar header against the
// canonical one the manifest implies, manifest.sig over manifest.json under
// a known key (see VerifyOptions), every file against the manifest's
// SHA-256 and size in manifest order, the zero padding and the end of the
// archive, and nothing after it. The same checks serve verify and open;
// with opts.Dir the files are written as they are checked. The error names
// the first thing that does not match and wraps ErrTampered for a
// mismatch, ErrUntrusted for an unknown signer, ErrEncrypted for an
// encrypted package without identities, ErrBadPackage for a file that is
// not a package.
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
	if opts.Key == nil && len(opts.Trusted) == 0 {
		return res, fmt.Errorf("%w: no sender key given and no trusted senders to check the signer against", ErrUntrusted)
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
	pr := &pkgReader{r: bufio.NewReaderSize(src, 1<<20), dir: tmp}
	manifest, mtime, err := pr.small(ManifestFile, maxManifest, time.Time{})
	if err != nil {
		return res, err
	}
	sig, _, err := pr.small(SignatureFile, maxSignature, mtime)
	if err != nil {
		return res, err
	}
	var m Manifest
	decErr := json.Unmarshal(manifest, &m)
	key := opts.Key
	if key == nil {
		if decErr != nil {
			return res, fmt.Errorf("%w: %s does not decode: %w", ErrTampered, ManifestFile, decErr)
		}
		if res.Sender, key, err = trustedSigner(opts.Trusted, m.Creator.SigningKey); err != nil {
			return res, err
		}
	}
	if err := checkSignature(key, manifest, sig); err != nil {
		return res, err
	}
	if decErr != nil {
		return res, fmt.Errorf("%w: %s does not decode: %w", ErrBadPackage, ManifestFile, decErr)
	}
	if m.Format != Format {
		return res, fmt.Errorf("%w: format %q, want %q", ErrBadPackage, m.Format, Format)
	}
	if s := res.Sender; s != nil && !strings.EqualFold(s.Country, m.Creator.Country) {
		return res, fmt.Errorf("%w: signed with the key of %s (%s, %s) but the manifest names a sender in %q",
			ErrUntrusted, s.ID, s.Agency, s.Country, short(m.Creator.Country))
	}
	if !m.Created.Truncate(time.Second).Equal(mtime) {
		return res, fmt.Errorf("%w: the tar header of %s is dated %s, the manifest says %s", ErrTampered, ManifestFile,
			mtime.Format(time.RFC3339), m.Created.Format(time.RFC3339))
	}
	if err := checkFiles(m.Files); err != nil {
		return res, err
	}
	res.Manifest = &m
	for _, fe := range m.Files {
		sum, err := pr.member(fe, mtime)
		if err != nil {
			return res, err
		}
		if sum != fe.SHA256 {
			return res, fmt.Errorf("%w: %s: SHA-256 %s, the manifest says %s", ErrTampered, fe.Path, sum, fe.SHA256)
		}
		res.Files++
		res.Bytes += fe.Size
	}
	if err := pr.end(lastName(m.Files)); err != nil {
		return res, err
	}
	if tmp != "" {
		if err := os.Rename(tmp, opts.Dir); err != nil {
			return res, fmt.Errorf("unpacking: %w", err)
		}
	}
	return res, nil
}

// trustedSigner finds the trusted sender whose signing key the manifest
// names.
func trustedSigner(trusted []reference.Partner, named string) (*reference.Partner, ed25519.PublicKey, error) {
	k, err := ParsePublicKey(named)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: creator.signing_key: %w", ErrTampered, ManifestFile, err)
	}
	for i := range trusted {
		pk, err := trusted[i].PublicKey()
		if err == nil && pk.Equal(k) {
			return &trusted[i], k, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: signed with %s, which no sender of the trusted-senders file holds; pass --key to name the sender's key explicitly",
		ErrUntrusted, FormatPublicKey(k))
}

func lastName(files []FileEntry) string {
	if len(files) == 0 {
		return SignatureFile
	}
	return files[len(files)-1].Path
}

// pkgReader reads a package's tar stream block by block.
type pkgReader struct {
	r   *bufio.Reader
	dir string // unpack into, when set
}

func (p *pkgReader) header(want string) ([]byte, error) {
	h := make([]byte, blockSize)
	if _, err := io.ReadFull(p.r, h); err != nil {
		if errors.Is(err, io.EOF) && want == ManifestFile {
			return nil, fmt.Errorf("%w: empty file", ErrBadPackage)
		}
		return nil, fmt.Errorf("%w: %s: missing from the package (the archive ends): %w", ErrTampered, want, err)
	}
	return h, nil
}

// small reads the manifest or the signature: its size and time come from
// its header, which must then be the canonical one (mtime, when not zero,
// is the time it must carry).
func (p *pkgReader) small(name string, limit int64, mtime time.Time) ([]byte, time.Time, error) {
	h, err := p.header(name)
	if err != nil {
		return nil, time.Time{}, err
	}
	got := cString(h[0:100])
	if got != name {
		return nil, time.Time{}, fmt.Errorf("%w: first files must be %s and %s, found %q", ErrBadPackage, ManifestFile, SignatureFile, short(got))
	}
	size, err1 := octal(h[124:136])
	secs, err2 := octal(h[136:148])
	if err1 != nil || err2 != nil {
		return nil, time.Time{}, fmt.Errorf("%w: the tar header of %s is not a ustar header", ErrTampered, name)
	}
	if size > limit {
		return nil, time.Time{}, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadPackage, name, limit)
	}
	at := time.Unix(secs, 0).UTC()
	if !mtime.IsZero() && !at.Equal(mtime) {
		return nil, time.Time{}, fmt.Errorf("%w: the tar header of %s differs from the canonical layout (its time)", ErrTampered, name)
	}
	if err := p.canonical(h, name, size, at); err != nil {
		return nil, time.Time{}, err
	}
	var buf bytes.Buffer
	if err := p.content(name, size, &buf); err != nil {
		return nil, time.Time{}, err
	}
	if p.dir != "" {
		if err := os.WriteFile(filepath.Join(p.dir, name), buf.Bytes(), 0o600); err != nil {
			return nil, time.Time{}, fmt.Errorf("unpacking %s: %w", name, err)
		}
	}
	return buf.Bytes(), at, nil
}

func (p *pkgReader) canonical(h []byte, name string, size int64, mtime time.Time) error {
	want, err := canonicalHeader(name, size, mtime)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadPackage, name, err)
	}
	if bytes.Equal(h, want) {
		return nil
	}
	if got := cString(h[0:100]); got != name {
		return fmt.Errorf("%w: %s: missing from the package (found %q where it belongs)", ErrTampered, name, short(got))
	}
	if got, err := octal(h[124:136]); err == nil && got != size {
		return fmt.Errorf("%w: %s: %d bytes, the manifest says %d", ErrTampered, name, got, size)
	}
	for i := range h {
		if h[i] != want[i] {
			return fmt.Errorf("%w: the tar header of %s differs from the canonical layout at byte %d (type, mode, owner, time or an extension)", ErrTampered, name, i)
		}
	}
	return nil
}

// member reads one file of the package, checking its header, and returns
// its SHA-256.
func (p *pkgReader) member(fe FileEntry, mtime time.Time) (string, error) {
	h, err := p.header(fe.Path)
	if err != nil {
		return "", err
	}
	if err := p.canonical(h, fe.Path, fe.Size, mtime); err != nil {
		return "", err
	}
	sum := sha256.New()
	var w io.Writer = sum
	if p.dir != "" {
		dst := filepath.Join(p.dir, filepath.FromSlash(fe.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return "", fmt.Errorf("unpacking %s: %w", fe.Path, err)
		}
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", fmt.Errorf("unpacking %s: %w", fe.Path, err)
		}
		defer f.Close()
		w = io.MultiWriter(sum, f)
		if err := p.content(fe.Path, fe.Size, w); err != nil {
			return "", err
		}
		if err := f.Close(); err != nil {
			return "", fmt.Errorf("unpacking %s: %w", fe.Path, err)
		}
	} else if err := p.content(fe.Path, fe.Size, w); err != nil {
		return "", err
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// content copies size bytes of a member to w and checks its zero padding.
func (p *pkgReader) content(name string, size int64, w io.Writer) error {
	n, err := io.CopyN(w, p.r, size)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: %s: the archive ends after %d of its %d bytes", ErrTampered, name, n, size)
		}
		if strings.HasPrefix(err.Error(), "unpacking") {
			return err
		}
		return fmt.Errorf("%w: %s: %w", ErrTampered, name, err)
	}
	pad := make([]byte, padding(size))
	if _, err := io.ReadFull(p.r, pad); err != nil {
		return fmt.Errorf("%w: %s: the archive ends in its padding", ErrTampered, name)
	}
	if !allZero(pad) {
		return fmt.Errorf("%w: the tar padding after %s is not zero bytes", ErrTampered, name)
	}
	return nil
}

// end checks the two zero blocks that end the archive and that nothing
// follows them.
func (p *pkgReader) end(last string) error {
	tail := make([]byte, 2*blockSize)
	if _, err := io.ReadFull(p.r, tail); err != nil {
		return fmt.Errorf("%w: the archive does not end properly after %s", ErrTampered, last)
	}
	if !allZero(tail) {
		if cString(tail[:100]) != "" {
			return fmt.Errorf("%w: %q: not listed in %s", ErrTampered, short(cString(tail[:100])), ManifestFile)
		}
		return fmt.Errorf("%w: the end of the archive after %s is not two zero blocks", ErrTampered, last)
	}
	var one [1]byte
	if n, err := io.ReadFull(p.r, one[:]); n > 0 || !errors.Is(err, io.EOF) {
		if err != nil && !errors.Is(err, io.EOF) && n == 0 {
			return fmt.Errorf("%w: after the end of the archive: %w", ErrTampered, err)
		}
		return fmt.Errorf("%w: bytes follow the end of the archive", ErrTampered)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func octal(b []byte) (int64, error) {
	s := strings.Trim(string(b), " \x00")
	if s == "" {
		return 0, errors.New("empty")
	}
	return strconv.ParseInt(s, 8, 64)
}
