package normalize

import (
	"regexp"
	"strings"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/tor"
)

// maxMentions bounds the onions and contacts returned from one text.
const maxMentions = 256

// onionRE finds v3 onion hosts: 56 base32 characters before ".onion",
// optionally after subdomains (which are dropped).
var onionRE = regexp.MustCompile(`(?i)\b([a-z2-7]{56})\.onion\b`)

// Onions returns the v3 onion addresses mentioned in text ("<56
// characters>.onion", lower case, subdomains, scheme, port and path
// dropped) whose checksum and version pass tor.ValidateOnion, in the order
// they first appear, without duplicates. v2 addresses (16 characters) and
// addresses failing their checksum are not returned.
func Onions(text string) []string {
	if len(text) > maxScanText {
		text = cut(text, maxScanText)
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range onionRE.FindAllStringSubmatch(text, -1) {
		host := strings.ToLower(m[1]) + ".onion"
		if seen[host] {
			continue
		}
		seen[host] = true
		if tor.ValidateOnion(host) != nil {
			continue
		}
		out = append(out, host)
		if len(out) == maxMentions {
			break
		}
	}
	return out
}

// Contact kinds returned by Contacts, the prefix before the colon.
const (
	ContactWickr    = "wickr"
	ContactSession  = "session"
	ContactXMPP     = "xmpp"
	ContactTelegram = "telegram"
	ContactThreema  = "threema"
	ContactSignal   = "signal"
	ContactTox      = "tox"
	ContactEmail    = "email"
)

// sep is what stands between a label and a handle: a colon, an equals
// sign, a spaced dash, or "@" (with optional "id" or "me" after the label).
const sep = `(?:\s*(?:id|me)\b)?(?:\s*[:=]\s*@?|\s+-\s+@?|\s*@)`

var (
	emailPart   = `([a-z0-9][a-z0-9._%+\-]{0,63}@[a-z0-9](?:[a-z0-9\-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,62}[a-z0-9])?)*\.[a-z]{2,24})\b`
	contactRule = []struct {
		kind  string
		re    *regexp.Regexp
		upper bool
	}{
		{ContactSession, regexp.MustCompile(`(?i)\b(05[0-9a-f]{64})\b`), false},
		{ContactTox, regexp.MustCompile(`(?i)\btox` + sep + `([0-9a-f]{76})\b`), false},
		{ContactXMPP, regexp.MustCompile(`(?i)\b(?:xmpp|jabber|jid)` + sep + emailPart), false},
		{ContactEmail, regexp.MustCompile(`(?i)\b(?:e-?mail|mail)` + sep + emailPart), false},
		{ContactWickr, regexp.MustCompile(`(?i)\bwickr` + sep + `([a-z0-9][a-z0-9_.\-]{2,31})\b`), false},
		{ContactTelegram, regexp.MustCompile(`(?i)(?:\b(?:telegram|tg)` + sep + `|\bt\.me/)([a-z][a-z0-9_]{4,31})\b`), false},
		{ContactThreema, regexp.MustCompile(`(?i)\bthreema` + sep + `([a-z0-9*][a-z0-9]{7})\b`), true},
		{ContactSignal, regexp.MustCompile(`(?i)\bsignal` + sep + `([a-z][a-z0-9_]{2,31}\.\d{2,9})\b`), false},
	}
)

// Contacts returns the messenger and mail handles mentioned in text, as
// "kind:handle", in the order of the kinds below and then of appearance,
// without duplicates. The set is kept small on purpose; each form but
// Session needs its label before the handle, separated by ":", "=", " - "
// or "@" ("Wickr: name", "Wickr ID: name", "Telegram @name"):
//
//   - session: a Session id, 66 hex digits starting 05, labelled or not;
//   - tox: "Tox: <76 hex digits>";
//   - xmpp: "XMPP: a@b.c", "Jabber: a@b.c", "JID: a@b.c";
//   - email: "Email: a@b.c", "Mail: a@b.c";
//   - wickr: "Wickr: name" (3-32 of a-z 0-9 _ . -);
//   - telegram: "Telegram: @name", "TG: name", "t.me/name" (5-32 of a-z 0-9 _);
//   - threema: "Threema: ABCD1234" (8 characters, upper-cased);
//   - signal: "Signal: name.01" (a Signal username with its number).
//
// Handles are lower-cased except Threema ids.
func Contacts(text string) []string {
	if len(text) > maxScanText {
		text = cut(text, maxScanText)
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range contactRule {
		for _, m := range r.re.FindAllStringSubmatch(text, maxMentions) {
			h := m[len(m)-1]
			if r.upper {
				h = strings.ToUpper(h)
			} else {
				h = strings.ToLower(h)
			}
			c := r.kind + ":" + h
			if seen[c] {
				continue
			}
			seen[c] = true
			out = append(out, c)
			if len(out) == maxMentions {
				return out
			}
		}
	}
	return out
}

// Mentions is what a free text (a forum post, a vendor profile, a listing
// description) mentions that links it to other records.
type Mentions struct {
	Onions          []string
	Crypto          []event.CryptoAddress
	Contacts        []string
	PGPFingerprints []string
}

// FindMentions collects the onion addresses, crypto addresses, contact
// handles and the fingerprints of PGP public key blocks and of "0x"-less
// 40-digit fingerprints written after a "fingerprint" label in text. A
// key block that does not read is skipped.
func FindMentions(text string) Mentions {
	m := Mentions{Onions: Onions(text), Crypto: CryptoAddresses(text), Contacts: Contacts(text)}
	if strings.Contains(text, pgpBegin) {
		keys, _ := PGPKeys(text)
		for _, k := range keys {
			m.PGPFingerprints = appendNew(m.PGPFingerprints, k.Fingerprint)
		}
	}
	for _, fm := range fingerprintLabelRE.FindAllStringSubmatch(cut(text, maxScanText), maxMentions) {
		if fp, err := Fingerprint(fm[1]); err == nil {
			m.PGPFingerprints = appendNew(m.PGPFingerprints, fp)
		}
	}
	return m
}

// fingerprintLabelRE finds a fingerprint after its label: 40 hex digits,
// in groups of four or not.
var fingerprintLabelRE = regexp.MustCompile(`(?i)\bfingerprint\s*[:=]?\s*((?:0x)?[0-9a-f]{4}(?:\s?[0-9a-f]{4}){9})\b`)

func appendNew(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
