package export

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
)

// Key file names written by GenerateKeys.
const (
	SigningKeyFile   = "signing.key" // ed25519 private key, PKCS#8 PEM, 0600
	SigningPubFile   = "signing.pub" // "ed25519:<base64>", as partners.yaml takes it
	AgeIdentityFile  = "age.key"     // age X25519 identity (AGE-SECRET-KEY-1...), 0600
	AgeRecipientFile = "age.pub"     // age X25519 recipient (age1...)
)

// maxKeyFile bounds a key file read.
const maxKeyFile = 64 << 10

// KeySet is what GenerateKeys wrote.
type KeySet struct {
	Dir          string
	SigningPub   string // "ed25519:<base64>"
	AgeRecipient string // "age1..."
}

// GenerateKeys writes a fresh ed25519 signing key pair and a fresh age
// X25519 key pair into dir (created 0700 when missing). Private files are
// 0600. It refuses to overwrite an existing key file.
func GenerateKeys(dir string) (KeySet, error) {
	ks := KeySet{Dir: dir}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ks, fmt.Errorf("generating keys: %w", err)
	}
	for _, name := range []string{SigningKeyFile, SigningPubFile, AgeIdentityFile, AgeRecipientFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return ks, fmt.Errorf("generating keys: %s already exists; keys are never overwritten", filepath.Join(dir, name))
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return ks, fmt.Errorf("generating signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return ks, fmt.Errorf("encoding signing key: %w", err)
	}
	ks.SigningPub = FormatPublicKey(pub)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return ks, fmt.Errorf("generating age key: %w", err)
	}
	ks.AgeRecipient = id.Recipient().String()
	now := time.Now().UTC().Format(time.RFC3339)
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{SigningKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600},
		{SigningPubFile, []byte(ks.SigningPub + "\n"), 0o644},
		{AgeIdentityFile, []byte("# created: " + now + "\n# public key: " + ks.AgeRecipient + "\n" + id.String() + "\n"), 0o600},
		{AgeRecipientFile, []byte(ks.AgeRecipient + "\n"), 0o644},
	}
	for _, f := range files {
		if err := writeNew(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return ks, fmt.Errorf("generating keys: %w", err)
		}
	}
	return ks, nil
}

// writeNew creates path (failing when it exists) with mode and data.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("setting mode of %s: %w", path, err)
	}
	return f.Close()
}

// FormatPublicKey renders an ed25519 public key as partners.yaml and
// manifest.json carry it: "ed25519:" and the standard base64 of its bytes.
func FormatPublicKey(pub ed25519.PublicKey) string {
	return "ed25519:" + base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey decodes an ed25519 public key written as FormatPublicKey
// does (the "ed25519:" prefix is optional).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "ed25519:"))
	if err != nil {
		return nil, fmt.Errorf("%w: not base64: %w", ErrBadKey, err)
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrBadKey, len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// LoadPublicKey takes a public key given on a command line: the key itself
// ("ed25519:..." or bare base64) or the path of a file holding it.
func LoadPublicKey(arg string) (ed25519.PublicKey, error) {
	if k, err := ParsePublicKey(arg); err == nil {
		return k, nil
	}
	b, err := readKeyFile(arg, false)
	if err != nil {
		return nil, fmt.Errorf("loading public key: %w", err)
	}
	k, err := ParsePublicKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("loading public key %s: %w", arg, err)
	}
	return k, nil
}

// LoadSigningKey reads an ed25519 private key from a PKCS#8 PEM file as
// GenerateKeys writes it. A file readable by others is refused.
func LoadSigningKey(path string) (ed25519.PrivateKey, error) {
	b, err := readKeyFile(path, true)
	if err != nil {
		return nil, fmt.Errorf("loading signing key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("loading signing key %s: %w: no PRIVATE KEY PEM block", path, ErrBadKey)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("loading signing key %s: %w: %w", path, ErrBadKey, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("loading signing key %s: %w: %T, want ed25519", path, ErrBadKey, k)
	}
	return priv, nil
}

// LoadIdentities reads age identities from a key file (age-keygen format).
// Like the signing key, a file readable by others is refused.
func LoadIdentities(path string) ([]age.Identity, error) {
	b, err := readKeyFile(path, true)
	if err != nil {
		return nil, fmt.Errorf("loading age identity: %w", err)
	}
	ids, err := age.ParseIdentities(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("loading age identity %s: %w: %w", path, ErrBadKey, err)
	}
	return ids, nil
}

// readKeyFile reads a key file of at most maxKeyFile bytes. With private
// set, a file that others can read or write is refused; the mode is taken
// from the file opened, so it is the one read.
func readKeyFile(path string, private bool) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if private {
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("%s: %w: mode %v, want 0600", path, ErrBadKey, fi.Mode().Perm())
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("reading %s: %w: larger than %d bytes", path, ErrBadKey, maxKeyFile)
	}
	return b, nil
}

// Sentinel errors, checked with errors.Is.
var (
	// ErrRefused marks an export the partner's policy does not allow; the
	// error text says why.
	ErrRefused = errors.New("export refused")
	// ErrTampered marks a package whose signature or file hashes do not
	// match; the error names the file or the signature.
	ErrTampered = errors.New("package does not verify")
	// ErrBadKey marks a key that cannot be read or has the wrong form.
	ErrBadKey = errors.New("invalid key")
	// ErrEncrypted marks an encrypted package read without an identity.
	ErrEncrypted = errors.New("package is encrypted")
	// ErrBadPackage marks a file that is not a package (bad archive, missing
	// manifest, unsafe path, over a size limit).
	ErrBadPackage = errors.New("not a valid package")
)
