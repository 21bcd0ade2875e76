package normalize

import (
	"encoding/hex"
	"regexp"
	"strings"
)

// Contact is a messenger or mail handle found in a text.
type Contact struct {
	// Kind is one of the Kind* constants.
	Kind string
	// Value is the handle, lower case: a Telegram username without "@", a
	// Jabber id or e-mail address, a Wickr or Signal name or number, an
	// ICQ number (digits only), a Session or Tox id in hex.
	Value string
}

// Kinds of a Contact.
const (
	KindTelegram = "telegram"
	KindJabber   = "jabber"
	KindWickr    = "wickr"
	KindSession  = "session"
	KindSignal   = "signal"
	KindICQ      = "icq"
	KindTox      = "tox"
	KindEmail    = "email"
)

const (
	// lsep is what stands between a label and its handle: a colon, equals
	// sign or dash, with "id", "me", "name" or "number" allowed after the
	// label ("Wickr ID: x", "wickr me: x").
	lsep = `(?:\s*(?:id|me|name|number|nr|no|#|username|user)\b\.?)?\s*(?:[:=]|\s-\s|-)\s*`
	// jidPart is a Jabber id or an e-mail address.
	jidPart = `([a-z0-9][a-z0-9._%+\-]{0,63}@[a-z0-9](?:[a-z0-9\-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,62}[a-z0-9])?)*\.[a-z]{2,24})\b`
)

var (
	// bbcodeRE drops forum markup around handles: [EMAIL]a@b[/EMAIL],
	// [EMAIL='a@b'], [url=...], [b].
	bbcodeRE = regexp.MustCompile(`(?i)\[/?(?:email|url|b|i|u|color|size|font|code|quote)(?:=[^\]]{0,200})?\]`)

	// typedRules are tried in order; a rule runs only when the lower-cased
	// text holds one of its need strings (or, for hex ids, a long hex run),
	// so a megabyte of text without labels costs a few scans.
	typedRules = []struct {
		kind string
		need []string
		re   *regexp.Regexp
	}{
		{KindJabber, []string{"jabb", "xmpp", "jid"}, regexp.MustCompile(`(?i)\b(?:jabber|xmpp|jid|jabb)(?:\s*/\s*(?:xmpp|jabber))?` + `(?:` + lsep + `|\s+)` + jidPart)},
		{KindEmail, []string{"mail"}, regexp.MustCompile(`(?i)\b(?:e-?mail|mail|email address)` + lsep + jidPart)},
		{KindTelegram, []string{"tg", "tele", "t.me", "телеграм"}, regexp.MustCompile(`(?i)(?:\b(?:telegram|tg|telega|телеграм|телеграмм)(?:` + lsep + `@?|\s*@|\s+@)|\bt(?:elegram)?\.me/|(?:^|[^a-z0-9_.])tg://resolve\?domain=)([a-z][a-z0-9_]{3,31})\b`)},
		{KindWickr, []string{"wickr"}, regexp.MustCompile(`(?i)\bwickr(?:me)?` + lsep + `@?([a-z0-9][a-z0-9_.\-]{2,31})\b`)},
		{KindSignal, []string{"signal"}, regexp.MustCompile(`(?i)\bsignal` + lsep + `(\+?\d[\d \-]{6,18}\d|@?[a-z][a-z0-9_]{2,31}\.\d{2,9})`)},
		{KindICQ, []string{"icq"}, regexp.MustCompile(`(?i)\bicq(?:` + lsep + `|\s+|#)(\d{3}[\- ]?\d{3}[\- ]?\d{2,4}|\d{5,10})\b`)},
		{KindTox, []string{hexRun76}, regexp.MustCompile(`(?i)\b([0-9a-f]{76})\b`)},
		{KindSession, []string{hexRun66}, regexp.MustCompile(`(?i)\b(05[0-9a-f]{64})\b`)},
		{KindEmail, []string{"@"}, regexp.MustCompile(`(?i)(?:^|[^a-z0-9._%+\-@/:])` + jidPart)},
	}
)

// jabberHosts are servers that host Jabber ids only or mostly: a bare
// address at one of them is a Jabber id, not an e-mail.
var jabberHosts = map[string]bool{
	"jabber.cz": true, "xmpp.jp": true, "swissjabber.ch": true, "exploit.im": true, "jabber.de": true,
	"jabber.org": true, "jabber.ccc.de": true, "creep.im": true, "xmpp.is": true, "404.city": true,
	"thesecure.biz": true, "jabb.im": true, "jabber.calyxinstitute.org": true, "jabbim.com": true,
	"draugr.de": true, "securejabber.me": true, "blah.im": true, "yax.im": true, "conversations.im": true,
	"jabber.ru": true, "xmpp.ru": true, "omemo.im": true, "trashserver.net": true, "anonym.im": true,
	"jabber.fr": true, "jabber.at": true, "jabber.sk": true, "jabbim.cz": true, "xmpp.co": true,
	"dukgo.com": true, "riseup.net": false, "jabber.hot-chilli.net": true, "magicbroccoli.de": true,
	"jabbercity.ru": true, "jabber.network": true, "im.koderoot.net": true, "jabber.otr.im": true,
	"xmpp.zone": true, "chatterboxtown.us": true, "default.rs": true, "jabber.systemausfall.org": true,
}

// TypedContacts returns the contact handles a text mentions, each once,
// in the order of the kinds above and then of appearance (at most 256):
//
//   - jabber: "Jabber: a@b.c", "XMPP : a@b.c", "JABBER: [EMAIL]a@b.c[/EMAIL]",
//     and a bare address at a Jabber server ("x@swissjabber.ch");
//   - email: "e-mail : a@b.c" and any other bare address;
//   - telegram: "Telegram: @name", "TG @name", "t.me/name";
//   - wickr: "Wickr: name", "wickr:caregivers420", "Wickr ID - name";
//   - signal: "Signal: +1 555 0100", "Signal: name.01";
//   - icq: "ICQ: 677490068", "ICQ 601-463-395" (digits kept);
//   - tox: a 76-digit Tox id whose checksum holds, labelled or not;
//   - session: a Session id (66 hex digits starting 05), labelled or not.
//
// Labels need ":", "=", or a dash before the handle, except Jabber and
// ICQ whose handles are distinctive, and Telegram's "@": "jabber or icq"
// and "a wickr account" name no handle. Forum markup ([EMAIL], [URL]) is
// ignored. Text past 1 MB is not read.
func TypedContacts(text string) []Contact {
	if len(text) > maxScanText {
		text = cut(text, maxScanText)
	}
	if strings.IndexByte(text, '[') >= 0 {
		text = bbcodeRE.ReplaceAllString(text, " ")
	}
	text = strings.ReplaceAll(text, "&#039;", "'")
	var out []Contact
	seen := map[Contact]bool{}
	claimed := map[string]bool{} // addresses already typed by a label
	lower := strings.ToLower(text)
	runs := hexRuns(text)
	for _, r := range typedRules {
		if !needed(lower, runs, r.need) {
			continue
		}
		for _, m := range r.re.FindAllStringSubmatch(text, maxMentions) {
			v := strings.ToLower(m[len(m)-1])
			kind := r.kind
			switch kind {
			case KindICQ:
				v = strings.NewReplacer("-", "", " ", "").Replace(v)
			case KindSignal:
				v = strings.TrimPrefix(v, "@")
				if v[0] == '+' || isDigit(v[0]) {
					v = strings.NewReplacer("-", "", " ", "").Replace(v)
				}
			case KindTox:
				if !toxChecksum(v) {
					continue
				}
			case KindJabber:
				claimed[v] = true
			case KindEmail:
				if claimed[v] {
					continue
				}
				if _, host, _ := strings.Cut(v, "@"); jabberHosts[host] {
					kind = KindJabber
				}
				claimed[v] = true
			}
			c := Contact{Kind: kind, Value: v}
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

// Pseudo need strings: a run of at least 76 or 66 hex digits.
const (
	hexRun76 = "\x00hex76"
	hexRun66 = "\x00hex66"
)

// hexRuns returns the length of the longest run of hex digits in s.
func hexRuns(s string) int {
	longest, n := 0, 0
	for i := 0; i < len(s); i++ {
		if isHex(rune(s[i])) {
			n++
			longest = max(longest, n)
		} else {
			n = 0
		}
	}
	return longest
}

func needed(lower string, runs int, need []string) bool {
	for _, n := range need {
		switch {
		case n == hexRun76 && runs >= 76, n == hexRun66 && runs >= 66:
			return true
		case n != hexRun76 && n != hexRun66 && strings.Contains(lower, n):
			return true
		}
	}
	return false
}

// toxChecksum checks a Tox id: 32 bytes of public key, 4 of nospam and a
// 2-byte checksum, the XOR of the 36 bytes before it taken two at a time.
func toxChecksum(id string) bool {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != 38 {
		return false
	}
	var c [2]byte
	for i := 0; i < 36; i++ {
		c[i%2] ^= b[i]
	}
	return c[0] == b[36] && c[1] == b[37]
}
