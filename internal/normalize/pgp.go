package normalize

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/counternet/counternet/internal/event"
)

// PGPInfo describes one OpenPGP public key.
type PGPInfo struct {
	// Fingerprint is the primary key's fingerprint, upper-case hex (40
	// digits for a v4 key, 64 for v6).
	Fingerprint string
	// KeyID is the primary key's 64-bit key id, 16 upper-case hex digits.
	KeyID string
	// Created is the primary key's creation time, UTC.
	Created time.Time
	// UserIDs are the self-signed user ids ("name (comment) <email>"),
	// sorted.
	UserIDs []string
	// Algorithm names the primary key's algorithm ("RSA", "EdDSA", ...)
	// and Bits the modulus size of an RSA, DSA or ElGamal key (0 for
	// elliptic-curve keys).
	Algorithm string
	Bits      int
	// Subkeys are the fingerprints of the subkeys, upper-case hex.
	Subkeys []string
}

// Bounds on PGP input: one armored block, and the text PGPKeys scans.
const (
	maxPGPBlock = 256 << 10
	maxPGPKeys  = 16
	// maxPGPUserIDs bounds the user ids and the subkeys one vendor
	// event carries.
	maxPGPUserIDs = event.MaxOptions
)

// NormalizeUserID returns an OpenPGP user id as vendor events carry it:
// "name (comment) <email>" as in the key, spaces trimmed and collapsed,
// the e-mail part (between the last < and >, or the whole id when it is
// only an address) lower-cased, at most event.MaxText bytes. Two keys
// whose user ids normalize alike name the same person or address.
func NormalizeUserID(uid string) string {
	uid = strings.Join(strings.Fields(uid), " ")
	if i := strings.LastIndex(uid, "<"); i >= 0 {
		if j := strings.Index(uid[i:], ">"); j > 0 {
			uid = uid[:i] + strings.ToLower(uid[i:i+j]) + uid[i+j:]
		}
	} else if strings.Contains(uid, "@") && !strings.Contains(uid, " ") {
		uid = strings.ToLower(uid)
	}
	return event.Cut(uid, event.MaxText)
}

// UserIDEmail returns the e-mail address of a normalized user id, or ""
// when it names none.
func UserIDEmail(uid string) string {
	if i := strings.LastIndex(uid, "<"); i >= 0 {
		if j := strings.Index(uid[i:], ">"); j > 0 {
			return strings.TrimSpace(uid[i+1 : i+j])
		}
	}
	if strings.Contains(uid, "@") && !strings.Contains(uid, " ") {
		return uid
	}
	return ""
}

const (
	pgpBegin = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
	pgpEnd   = "-----END PGP PUBLIC KEY BLOCK-----"
)

// PGPKey reads the first public key of an ASCII-armored "PGP PUBLIC KEY
// BLOCK" (text around the block is ignored) and returns its fingerprint,
// key id, creation time and user ids. A block whose line breaks a web page
// collapsed into spaces is re-flowed before decoding. A missing,
// truncated, corrupt or oversized block, or one with no usable key, is an
// error wrapping ErrUnparsable; it never panics.
func PGPKey(block string) (PGPInfo, error) {
	keys, err := pgpBlock(block)
	if err != nil {
		return PGPInfo{}, err
	}
	return keys[0], nil
}

// PGPKeys reads every armored public key block in text (at most 16 keys)
// and returns the keys that read, and an error joining the reasons the
// others did not.
func PGPKeys(text string) ([]PGPInfo, error) {
	var out []PGPInfo
	var errs []string
	rest := text
	for len(out) < maxPGPKeys {
		i := strings.Index(rest, pgpBegin)
		if i < 0 {
			break
		}
		rest = rest[i:]
		j := strings.Index(rest, pgpEnd)
		if j < 0 {
			errs = append(errs, "a block has no end line")
			break
		}
		keys, err := pgpBlock(rest[:j+len(pgpEnd)])
		if err != nil {
			errs = append(errs, err.Error())
		}
		for _, k := range keys {
			if !slices.ContainsFunc(out, func(o PGPInfo) bool { return o.Fingerprint == k.Fingerprint }) && len(out) < maxPGPKeys {
				out = append(out, k)
			}
		}
		rest = rest[j+len(pgpEnd):]
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%w pgp keys: %s", ErrUnparsable, strings.Join(errs, "; "))
	}
	if len(out) == 0 {
		return nil, unparsable("pgp keys", text, "no public key block")
	}
	return out, nil
}

func pgpBlock(block string) (keys []PGPInfo, err error) {
	i := strings.Index(block, pgpBegin)
	j := strings.LastIndex(block, pgpEnd)
	if i < 0 || j < i {
		return nil, unparsable("pgp key", block, "no armored public key block")
	}
	block = block[i : j+len(pgpEnd)]
	if len(block) > maxPGPBlock {
		return nil, unparsable("pgp key", block, "block over 256 KiB")
	}
	// The decoder is third-party code fed untrusted input: a panic in it
	// is reported as an unparsable block, never a crash of the collector.
	defer func() {
		if r := recover(); r != nil {
			keys, err = nil, unparsable("pgp key", block, fmt.Sprint("decoder failed: ", r))
		}
	}()
	el, err := openpgp.ReadArmoredKeyRing(strings.NewReader(block))
	if err != nil {
		reflowed := reflowArmor(block)
		var err2 error
		if el, err2 = openpgp.ReadArmoredKeyRing(strings.NewReader(reflowed)); err2 != nil {
			return nil, unparsable("pgp key", block, err.Error())
		}
	}
	for _, e := range el {
		if e.PrimaryKey == nil {
			continue
		}
		keys = append(keys, pgpInfo(e))
	}
	if len(keys) == 0 {
		return nil, unparsable("pgp key", block, "no public key in the block")
	}
	return keys, nil
}

func pgpInfo(e *openpgp.Entity) PGPInfo {
	pk := e.PrimaryKey
	info := PGPInfo{
		Fingerprint: strings.ToUpper(hex.EncodeToString(pk.Fingerprint)),
		KeyID:       fmt.Sprintf("%016X", pk.KeyId),
		Created:     pk.CreationTime.UTC(),
		Algorithm:   pgpAlgorithm(pk.PubKeyAlgo),
	}
	switch info.Algorithm {
	case "RSA", "DSA", "ElGamal":
		if n, err := pk.BitLength(); err == nil {
			info.Bits = int(n)
		}
	}
	for name := range e.Identities {
		info.UserIDs = append(info.UserIDs, name)
	}
	slices.Sort(info.UserIDs)
	for _, sk := range e.Subkeys {
		if sk.PublicKey != nil {
			info.Subkeys = append(info.Subkeys, strings.ToUpper(hex.EncodeToString(sk.PublicKey.Fingerprint)))
		}
	}
	return info
}

func pgpAlgorithm(a packet.PublicKeyAlgorithm) string {
	switch a {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSAEncryptOnly, packet.PubKeyAlgoRSASignOnly:
		return "RSA"
	case packet.PubKeyAlgoDSA:
		return "DSA"
	case packet.PubKeyAlgoElGamal:
		return "ElGamal"
	case packet.PubKeyAlgoECDSA:
		return "ECDSA"
	case packet.PubKeyAlgoECDH:
		return "ECDH"
	case packet.PubKeyAlgoEdDSA:
		return "EdDSA"
	case packet.PubKeyAlgoEd25519:
		return "Ed25519"
	case packet.PubKeyAlgoEd448:
		return "Ed448"
	case packet.PubKeyAlgoX25519:
		return "X25519"
	case packet.PubKeyAlgoX448:
		return "X448"
	}
	return fmt.Sprintf("algorithm %d", a)
}

var (
	armorHeaderRE = regexp.MustCompile(`^(?i:version|comment|hash|charset|messageid):`)
	armorCRCRE    = regexp.MustCompile(`^=[A-Za-z0-9+/]{4}$`)
	base64RunRE   = regexp.MustCompile(`^[A-Za-z0-9+/=]+$`)
)

// reflowArmor rebuilds an armored block whose line structure was lost
// (collapsed into spaces by HTML, or broken by <br> into stray blank
// lines): begin line, blank line, the base64 body in lines, the checksum
// line, end line. Armor headers ("Version: ...", "Comment: ...") are
// dropped with the words after them up to the first long base64 run.
func reflowArmor(block string) string {
	body := strings.TrimSuffix(strings.TrimPrefix(block, pgpBegin), pgpEnd)
	fields := strings.Fields(body)
	var b64 []string
	crc := ""
	inHeader := false
	for _, f := range fields {
		switch {
		case armorHeaderRE.MatchString(f):
			inHeader = true
			continue
		case inHeader && (len(f) < 16 || !base64RunRE.MatchString(f)):
			continue
		}
		inHeader = false
		if armorCRCRE.MatchString(f) {
			crc = f
			continue
		}
		if !base64RunRE.MatchString(f) {
			continue
		}
		b64 = append(b64, f)
	}
	joined := strings.Join(b64, "")
	var b strings.Builder
	b.WriteString(pgpBegin + "\n\n")
	for len(joined) > 64 {
		b.WriteString(joined[:64] + "\n")
		joined = joined[64:]
	}
	b.WriteString(joined + "\n")
	if crc != "" {
		b.WriteString(crc + "\n")
	}
	b.WriteString(pgpEnd + "\n")
	return b.String()
}
