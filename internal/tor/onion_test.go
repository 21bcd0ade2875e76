package tor

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

func TestOnionV3RoundTrip(t *testing.T) {
	// The address of the Tor Project's own onion site (from its public documentation).
	const known = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
	if err := ValidateOnion(known); err != nil {
		t.Fatalf("ValidateOnion(%s) = %v", known, err)
	}
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	host := OnionV3(pub)
	if err := ValidateOnion(host); err != nil {
		t.Fatalf("ValidateOnion(OnionV3) = %v", err)
	}
	if err := ValidateOnion("sub." + host); err != nil {
		t.Fatalf("subdomain: %v", err)
	}
}

func TestValidateOnionRejects(t *testing.T) {
	good := OnionV3(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey))
	flipped := []byte(good)
	if flipped[3] == 'a' {
		flipped[3] = 'b'
	} else {
		flipped[3] = 'a'
	}
	for _, tc := range []struct{ host, want string }{
		{"expyuzz4wqqyqhjn.onion", "v2"},
		{"example.com", "does not end"},
		{strings.Repeat("a", 55) + ".onion", "55 characters"},
		{string(flipped), "checksum"},
		{strings.Repeat("1", 56) + ".onion", "base32"},
	} {
		err := ValidateOnion(tc.host)
		if !errors.Is(err, ErrBadOnion) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ValidateOnion(%q) = %v, want error containing %q", tc.host, err, tc.want)
		}
	}
}
