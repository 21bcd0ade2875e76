package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MaxSecretBytes bounds a secret file (password, token, .creds file).
const MaxSecretBytes = 64 << 10

// ErrSecretMode reports a secret file that users other than its owner may
// read or write: counternet refuses it rather than trust a secret others
// may have seen or replaced.
var ErrSecretMode = errors.New("secret file is open to other users")

// CheckSecretFile returns an error wrapping ErrSecretMode, with the chmod
// that fixes it, when the file at path grants any permission to its group
// or to others, and the stat error when it cannot be read.
func CheckSecretFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("reading secret file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("reading secret file %s: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o; run \"chmod 600 %s\"", ErrSecretMode, path, perm, path)
	}
	return nil
}

// ReadSecretFile returns the content of a secret file without surrounding
// white space, after CheckSecretFile. An empty file, or one larger than
// MaxSecretBytes, is an error.
func ReadSecretFile(path string) (string, error) {
	if err := CheckSecretFile(path); err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading secret file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSecretBytes+1))
	if err != nil {
		return "", fmt.Errorf("reading secret file %s: %w", path, err)
	}
	if len(b) > MaxSecretBytes {
		return "", fmt.Errorf("reading secret file %s: larger than %d bytes", path, MaxSecretBytes)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("reading secret file %s: empty", path)
	}
	return s, nil
}

// EnsureSecretFile returns the secret kept at path, creating it first (a
// random 256-bit value, mode 0600, in a directory of mode 0700) when the
// file does not exist. An existing file is read with ReadSecretFile, so one
// that others may read is refused, not silently rewritten.
func EnsureSecretFile(path string) (string, error) {
	s, err := ReadSecretFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("creating secret file %s: %w", path, err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("creating secret file %s: %w", path, err)
	}
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return ReadSecretFile(path) // another process created it first
	}
	if err != nil {
		return "", fmt.Errorf("creating secret file %s: %w", path, err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("writing secret file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("writing secret file %s: %w", path, err)
	}
	return secret, nil
}
