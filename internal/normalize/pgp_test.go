package normalize

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The key blocks in testdata were made with GnuPG 2.2.40; the expected
// values are what `gpg --list-keys --with-colons` printed for them.
var (
	edKey = PGPInfo{
		Fingerprint: "EF6AB0581DD739439789C245718EA76F051AB58B",
		KeyID:       "718EA76F051AB58B",
		Created:     time.Date(2026, 11, 24, 5, 41, 44, 0, time.UTC),
		UserIDs:     []string{"snowman (vendor key) <snowman@dnmx.example>", "snowman <snowman@protonmail.example>"},
		Algorithm:   "EdDSA",
		Subkeys:     []string{"C6EAEA5B5D01B3E79AB97F278906AF5550993FCD"},
	}
	rsaKey = PGPInfo{
		Fingerprint: "607E7810DC73BB92FDC5BFA63ECF55EBD6CF2AFA",
		KeyID:       "3ECF55EBD6CF2AFA",
		Created:     time.Date(2026, 11, 24, 5, 41, 45, 0, time.UTC),
		UserIDs:     []string{"Cartel Rx <rx@cartel.example>"},
		Algorithm:   "RSA",
		Bits:        2048,
	}
)

func readKey(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPGPKey(t *testing.T) {
	ed, rsa := readKey(t, "pgp_ed25519.asc"), readKey(t, "pgp_rsa.asc")
	collapsed := strings.Join(strings.Fields(ed), " ") // a page that lost its line breaks
	withBR := strings.ReplaceAll(ed, "\n", "\n\n")     // a page that doubled them
	withHeader := strings.Replace(ed, "-----\n\n", "-----\nVersion: GnuPG v2\nComment: https://example.org/keys\n\n", 1)
	tests := []struct {
		name, block string
		want        PGPInfo
	}{
		{"ed25519", ed, edKey},
		{"rsa", rsa, rsaKey},
		{"text around", "My key:\n" + ed + "\nThanks for your order.", edKey},
		{"collapsed", collapsed, edKey},
		{"doubled line breaks", withBR, edKey},
		{"armor headers", withHeader, edKey},
		{"armor headers collapsed", strings.Join(strings.Fields(withHeader), " "), edKey},
		{"crlf", strings.ReplaceAll(rsa, "\n", "\r\n"), rsaKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PGPKey(tt.block)
			if err != nil {
				t.Fatalf("PGPKey: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PGPKey =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestPGPKeyMalformed(t *testing.T) {
	ed := readKey(t, "pgp_ed25519.asc")
	lines := strings.Split(ed, "\n")
	truncated := strings.Join(lines[:len(lines)/2], "\n") + "\n" + pgpEnd
	corrupt := strings.Replace(ed, lines[3], strings.Repeat("A", len(lines[3])), 1)
	for name, block := range map[string]string{
		"empty":       "",
		"no block":    "PGP key on request",
		"no end":      pgpBegin + "\n\nmDMEZ\n",
		"empty block": pgpBegin + "\n\n" + pgpEnd,
		"truncated":   truncated,
		"corrupt":     corrupt,
		"not base64":  pgpBegin + "\n\n!!!! ????\n" + pgpEnd,
		"private":     strings.ReplaceAll(ed, "PUBLIC KEY", "PRIVATE KEY"),
		"huge":        pgpBegin + "\n\n" + strings.Repeat("QUFB", maxPGPBlock/4) + "\n" + pgpEnd,
	} {
		if got, err := PGPKey(block); !errors.Is(err, ErrUnparsable) {
			t.Errorf("%s: PGPKey = %+v, %v; want ErrUnparsable", name, got, err)
		}
	}
}

func TestPGPKeys(t *testing.T) {
	ed, rsa := readKey(t, "pgp_ed25519.asc"), readKey(t, "pgp_rsa.asc")
	keys, err := PGPKeys("first\n" + ed + "\nsecond\n" + rsa + "\nagain\n" + ed)
	if err != nil || len(keys) != 2 || keys[0].Fingerprint != edKey.Fingerprint || keys[1].Fingerprint != rsaKey.Fingerprint {
		t.Errorf("PGPKeys = %+v, %v", keys, err)
	}
	keys, err = PGPKeys(ed + "\n" + pgpBegin + "\n\ngarbage\n" + pgpEnd)
	if len(keys) != 1 || !errors.Is(err, ErrUnparsable) {
		t.Errorf("PGPKeys with one bad block = %+v, %v; want the good key and an error", keys, err)
	}
	if keys, err := PGPKeys("no key here"); keys != nil || !errors.Is(err, ErrUnparsable) {
		t.Errorf("PGPKeys(no key) = %+v, %v", keys, err)
	}
}

func FuzzPGPKey(f *testing.F) {
	ed, rsa := readKey(f, "pgp_ed25519.asc"), readKey(f, "pgp_rsa.asc")
	f.Add(ed)
	f.Add(rsa)
	f.Add(strings.Join(strings.Fields(ed), " "))
	f.Add(pgpBegin + "\n\nmDMEawUjmBYJKwYBBAHaRw8BAQdA\n=abcd\n" + pgpEnd)
	f.Fuzz(func(t *testing.T, block string) {
		info, err := PGPKey(block)
		if err != nil {
			if !errors.Is(err, ErrUnparsable) {
				t.Fatalf("error %v does not wrap ErrUnparsable", err)
			}
			return
		}
		if len(info.Fingerprint) != 40 && len(info.Fingerprint) != 64 || len(info.KeyID) != 16 {
			t.Fatalf("PGPKey = %+v", info)
		}
	})
}
