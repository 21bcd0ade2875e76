package export

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
)

// Limits on a package.
const (
	maxManifest    = 256 << 20 // manifest.json
	maxSignature   = 4 << 10   // manifest.sig
	maxEntries     = 2_000_000 // files in a package
	maxEntryBytes  = 8<<30 - 1 // one file: the most a ustar header's size field holds
	maxTotalBytes  = 64 << 30  // all files
	maxPackagePath = 100       // a ustar name without a prefix field
)

// blockSize is the tar block: headers are one block, contents are padded
// with zero bytes to a whole number of blocks, and the archive ends with
// two zero blocks.
const blockSize = 512

// ageMagic starts every age-encrypted file.
var ageMagic = []byte("age-encryption.org/v1\n")

// The canonical layout. A package is a ustar archive (POSIX.1-1988; no pax
// or GNU extension records) holding manifest.json, manifest.sig, then the
// files of Manifest.Files in their order. Every member is a regular file
// with mode 0644, uid and gid 0, no user or group name, and the
// manifest's creation time (whole seconds) as its modification time; its
// content is padded with zero bytes, and the archive ends with exactly two
// zero blocks. Verify rebuilds each header from the manifest and compares
// it byte for byte, so every byte of a package is either signed content,
// hashed content, or fixed by the manifest.

// canonicalHeader is the exact header block of one member.
func canonicalHeader(name string, size int64, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644,
		ModTime: mtime.Truncate(time.Second), Format: tar.FormatUSTAR}
	if err := tw.WriteHeader(h); err != nil {
		return nil, err
	}
	if buf.Len() != blockSize {
		return nil, fmt.Errorf("%s: header of %d bytes, want one block", name, buf.Len())
	}
	return buf.Bytes(), nil
}

// padding is the number of zero bytes after a member of size bytes.
func padding(size int64) int64 { return (blockSize - size%blockSize) % blockSize }

// checkFiles is the one check of a manifest's file list, made when a
// package is sealed and before any file of it is read: every path safe and
// short enough for a ustar name, none repeated, none the manifest or
// signature, none both a file and a directory of another, sizes and
// hashes well formed, counts and sizes within the limits.
func checkFiles(files []FileEntry) error {
	if len(files) > maxEntries {
		return fmt.Errorf("%w: %d files, more than %d", ErrBadPackage, len(files), maxEntries)
	}
	seen := make(map[string]bool, len(files))
	dirs := map[string]string{}
	var total int64
	for _, fe := range files {
		p := fe.Path
		switch {
		case !safePath(p):
			return fmt.Errorf("%w: unsafe path %q", ErrBadPackage, short(p))
		case p == ManifestFile || p == SignatureFile:
			return fmt.Errorf("%w: %s listed as a file of the package", ErrBadPackage, p)
		case seen[p]:
			return fmt.Errorf("%w: %s listed twice", ErrBadPackage, p)
		case fe.Size < 0 || fe.Size > maxEntryBytes:
			return fmt.Errorf("%w: %s: size %d out of range (0 to %d)", ErrBadPackage, p, fe.Size, int64(maxEntryBytes))
		case !isSHA256(fe.SHA256):
			return fmt.Errorf("%w: %s: %q is not a SHA-256 in lower-case hex", ErrBadPackage, p, short(fe.SHA256))
		}
		seen[p] = true
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			dirs[d] = p
		}
		if total += fe.Size; total > maxTotalBytes {
			return fmt.Errorf("%w: larger than %d bytes", ErrBadPackage, int64(maxTotalBytes))
		}
	}
	for d, child := range dirs {
		if seen[d] {
			return fmt.Errorf("%w: %s is listed as a file and as the directory of %s", ErrBadPackage, d, child)
		}
	}
	return nil
}

func isSHA256(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// seal writes the package in the canonical layout: manifest.json and
// manifest.sig, then every file of m.Files read from dir, encrypted to
// recipient when it is not nil.
func seal(w io.Writer, dir string, m *Manifest, key ed25519.PrivateKey, recipient age.Recipient) error {
	m.Created = m.Created.Truncate(time.Second)
	if err := checkFiles(m.Files); err != nil {
		return fmt.Errorf("sealing package: %w", err)
	}
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
	put := func(name string, size int64, content io.Reader) error {
		hdr, err := canonicalHeader(name, size, m.Created)
		if err != nil {
			return fmt.Errorf("sealing package: %w", err)
		}
		if _, err := out.Write(hdr); err != nil {
			return fmt.Errorf("sealing package: %s: %w", name, err)
		}
		n, err := io.Copy(out, io.LimitReader(content, size+1))
		if err != nil {
			return fmt.Errorf("sealing package: %s: %w", name, err)
		}
		if n != size {
			return fmt.Errorf("sealing package: %s: size changed while sealing: %d bytes, manifest says %d", name, n, size)
		}
		if _, err := out.Write(make([]byte, padding(size))); err != nil {
			return fmt.Errorf("sealing package: %s: %w", name, err)
		}
		return nil
	}
	if err := put(ManifestFile, int64(len(manifest)), bytes.NewReader(manifest)); err != nil {
		return err
	}
	if err := put(SignatureFile, int64(len(sig)), bytes.NewReader(sig)); err != nil {
		return err
	}
	for _, fe := range m.Files {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(fe.Path)))
		if err != nil {
			return fmt.Errorf("sealing package: %w", err)
		}
		err = put(fe.Path, fe.Size, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	if _, err := out.Write(make([]byte, 2*blockSize)); err != nil {
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

// safePath reports whether a package path stays inside the package and
// fits a ustar name.
func safePath(p string) bool {
	return p != "" && len(p) <= maxPackagePath && !strings.Contains(p, "\\") &&
		path.Clean(p) == p && filepath.IsLocal(filepath.FromSlash(p)) && printable(p)
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
