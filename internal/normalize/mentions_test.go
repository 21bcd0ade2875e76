package normalize

import (
	"reflect"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/event"
)

func TestOnions(t *testing.T) {
	text := `New mirror: http://djdmdcgzmtoyb7pliauoeuol3v5xzld4m67fhoxzw4gcaqczsgdsbkad.onion/browse?offset=0
old one DJDMDCGZMTOYB7PLIAUOEUOL3V5XZLD4M67FHOXZW4GCAQCZSGDSBKAD.onion still up, and
www.2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion:80/path. Phishing copy (typo):
djdmdcgzmtoyb7pliauoeuol3v5xzld4m67fhoxzw4gcaqczsgdsbkae.onion; v2 dead: expyuzz4wqqyqhjn.onion;
too long: adjdmdcgzmtoyb7pliauoeuol3v5xzld4m67fhoxzw4gcaqczsgdsbkad.onion`
	want := []string{
		"djdmdcgzmtoyb7pliauoeuol3v5xzld4m67fhoxzw4gcaqczsgdsbkad.onion",
		"2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
	}
	if got := Onions(text); !reflect.DeepEqual(got, want) {
		t.Errorf("Onions = %v, want %v", got, want)
	}
	if got := Onions("no onions, only example.com"); got != nil {
		t.Errorf("Onions = %v", got)
	}
}

func TestContacts(t *testing.T) {
	session := "05" + strings.Repeat("ab12", 16)
	tox := strings.Repeat("0f", 38)
	tests := []struct {
		text string
		want []string
	}{
		{"Wickr: snowman_uk", []string{"wickr:snowman_uk"}},
		{"wickr me - Snowman.Official", []string{"wickr:snowman.official"}},
		{"Session: " + session, []string{"session:" + session}},
		{"my session id " + strings.ToUpper(session), []string{"session:" + session}},
		{"XMPP/Jabber: snow@jabber.example", []string{"xmpp:snow@jabber.example"}},
		{"jabber = Snow@XMPP.example.org", []string{"xmpp:snow@xmpp.example.org"}},
		{"Telegram @snowman_shop", []string{"telegram:snowman_shop"}},
		{"TG: snowmanshop, or t.me/snowman_backup", []string{"telegram:snowmanshop", "telegram:snowman_backup"}},
		{"Threema ID: abcd1234", []string{"threema:ABCD1234"}},
		{"Signal: snowman.42", []string{"signal:snowman.42"}},
		{"Tox: " + tox, []string{"tox:" + tox}},
		{"E-mail: snowman@dnmx.example", []string{"email:snowman@dnmx.example"}},
		{"Contact me on Wickr: snowman, Session " + session + " or Telegram: @snow_man. Wickr: snowman",
			[]string{"session:" + session, "wickr:snowman", "telegram:snow_man"}},
		{"Telegram channel is down", nil},
		{"we use session cookies", nil},
		{"snowman@dnmx.example", nil},
		{"Threema: ABC", nil},
	}
	for _, tt := range tests {
		if got := Contacts(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Contacts(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestFindMentions(t *testing.T) {
	ed := readKey(t, "pgp_ed25519.asc")
	post := `Ordered from snowman on http://djdmdcgzmtoyb7pliauoeuol3v5xzld4m67fhoxzw4gcaqczsgdsbkad.onion, paid to
bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4. His Wickr: snowman_uk. Verify him, fingerprint:
ABCD 1234 ABCD 1234 ABCD 1234 ABCD 1234 ABCD 1234
` + ed
	m := FindMentions(post)
	want := Mentions{
		Onions:          []string{"djdmdcgzmtoyb7pliauoeuol3v5xzld4m67fhoxzw4gcaqczsgdsbkad.onion"},
		Crypto:          []event.CryptoAddress{{Chain: ChainBitcoin, Address: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}},
		Contacts:        []string{"wickr:snowman_uk"},
		PGPFingerprints: []string{edKey.Fingerprint, "ABCD1234ABCD1234ABCD1234ABCD1234ABCD1234"},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("FindMentions =\n%+v\nwant\n%+v", m, want)
	}
}

func FuzzMentions(f *testing.F) {
	f.Add("http://djdmdcgzmtoyb7pliauoeuol3v5xzld4m67fhoxzw4gcaqczsgdsbkad.onion Wickr: snow Session: 05" + strings.Repeat("a", 64))
	f.Add("Telegram @x_y_z_w t.me/abcde Threema: ABCD1234 fingerprint: " + strings.Repeat("ab", 20))
	f.Fuzz(func(t *testing.T, text string) {
		m := FindMentions(text)
		for _, o := range m.Onions {
			if len(o) != 62 || !strings.HasSuffix(o, ".onion") || o != strings.ToLower(o) {
				t.Fatalf("onion %q", o)
			}
		}
		seen := map[string]bool{}
		for _, c := range m.Contacts {
			kind, handle, ok := strings.Cut(c, ":")
			if !ok || kind == "" || handle == "" || seen[c] {
				t.Fatalf("contact %q in %v", c, m.Contacts)
			}
			seen[c] = true
		}
		for _, fp := range m.PGPFingerprints {
			if len(fp) != 40 && len(fp) != 64 {
				t.Fatalf("fingerprint %q", fp)
			}
		}
	})
}
