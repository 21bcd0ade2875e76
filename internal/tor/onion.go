package tor

import (
	"crypto/ed25519"
	"crypto/sha3"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// ErrBadOnion marks a host that claims to be an onion service but is not a
// valid v3 onion address.
var ErrBadOnion = errors.New("invalid onion address")

var onionEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

const onionVersion = 0x03

// OnionV3 returns the v3 onion host ("<56 chars>.onion") of an onion
// service's ed25519 public key, as tor computes it (rend-spec-v3 §6):
// base32(pubkey | checksum | version), checksum = SHA3-256(".onion checksum" |
// pubkey | version)[:2].
func OnionV3(pub ed25519.PublicKey) string {
	raw := make([]byte, 0, 35)
	raw = append(raw, pub...)
	raw = append(raw, onionChecksum(pub)...)
	raw = append(raw, onionVersion)
	return strings.ToLower(onionEncoding.EncodeToString(raw)) + ".onion"
}

func onionChecksum(pub []byte) []byte {
	h := sha3.New256()
	h.Write([]byte(".onion checksum"))
	h.Write(pub)
	h.Write([]byte{onionVersion})
	return h.Sum(nil)[:2]
}

// IsOnion reports whether host (without port) is in the .onion domain.
func IsOnion(host string) bool {
	return strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".onion")
}

// ValidateOnion checks that host is a v3 onion address: 56 base32 characters
// (optionally preceded by subdomains), version byte 3 and a matching checksum.
// v2 addresses (16 characters) are rejected: tor no longer serves them.
func ValidateOnion(host string) error {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if !strings.HasSuffix(h, ".onion") {
		return fmt.Errorf("%w: %q does not end in .onion", ErrBadOnion, host)
	}
	label := strings.TrimSuffix(h, ".onion")
	if i := strings.LastIndexByte(label, '.'); i >= 0 {
		label = label[i+1:]
	}
	switch {
	case len(label) == 16:
		return fmt.Errorf("%w: %q is a v2 address, no longer served by tor", ErrBadOnion, host)
	case len(label) != 56:
		return fmt.Errorf("%w: %q has %d characters before .onion, want 56", ErrBadOnion, host, len(label))
	}
	raw, err := onionEncoding.DecodeString(strings.ToUpper(label))
	if err != nil || len(raw) != 35 {
		return fmt.Errorf("%w: %q is not base32", ErrBadOnion, host)
	}
	pub, sum, ver := raw[:32], raw[32:34], raw[34]
	if ver != onionVersion {
		return fmt.Errorf("%w: %q has version byte %d, want 3", ErrBadOnion, host, ver)
	}
	want := onionChecksum(pub)
	if sum[0] != want[0] || sum[1] != want[1] {
		return fmt.Errorf("%w: %q fails its checksum", ErrBadOnion, host)
	}
	return nil
}
