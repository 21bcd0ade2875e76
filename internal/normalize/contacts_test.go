package normalize

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	testTox     = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223240226"
	testSession = "05" + "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"
)

func TestTypedContacts(t *testing.T) {
	for _, c := range []struct {
		text string
		want []Contact
	}{
		// AlphaBay forum (XenForo) post bodies with unrendered BBCode.
		{"JABBER: [EMAIL]abTravel@xmpp.jp[/EMAIL]<br />\nJabber: [EMAIL=&#039;br3aker@jabber.cz&#039;]br3aker@jabber.cz ( jabber.cz is down and this jabber i can use these day)[/EMAIL]<br />\nICq: 677490068",
			[]Contact{{KindJabber, "abtravel@xmpp.jp"}, {KindJabber, "br3aker@jabber.cz"}, {KindICQ, "677490068"}}},
		{"XMPP : battalion@jabber.de | PGP Public Key | e-mail : battalion@lelantos.org",
			[]Contact{{KindJabber, "battalion@jabber.de"}, {KindEmail, "battalion@lelantos.org"}}},
		{"Jabber: hackteck@jabber.cz + OTR", []Contact{{KindJabber, "hackteck@jabber.cz"}}},
		// Evolution forums (FluxBB) posts and signatures.
		{"my ICQ: 601463395 or jabber: iwantmoney4free@jabber.org",
			[]Contact{{KindJabber, "iwantmoney4free@jabber.org"}, {KindICQ, "601463395"}}},
		{"bt@swissjabber.ch | k5zq47j6wd3wdvjq.onion/store/18", []Contact{{KindJabber, "bt@swissjabber.ch"}}},
		// BlackRy titles.
		{"buy high quality marijuana (wickr:caregivers420)", []Contact{{KindWickr, "caregivers420"}}},
		// Mentions of a kind without a handle.
		{"JABBER AND ICQ UPDATED IN FIRST POST !", nil},
		{"jabber o r icq but i do have a wickr account tho", nil},
		{"Send me a signal when ready", nil},
		// Other forms.
		{"Telegram: @DrugsMan_UK, also t.me/other_guy", []Contact{{KindTelegram, "drugsman_uk"}, {KindTelegram, "other_guy"}}},
		{"TG @fastshop", []Contact{{KindTelegram, "fastshop"}}},
		{"Wickr ID - snowman_uk", []Contact{{KindWickr, "snowman_uk"}}},
		{"Signal: +1 555 010 0199", []Contact{{KindSignal, "+15550100199"}}},
		{"Signal: snow.42", []Contact{{KindSignal, "snow.42"}}},
		{"ICQ 601-463-395", []Contact{{KindICQ, "601463395"}}},
		{"Tox: " + testTox, []Contact{{KindTox, testTox}}},
		{"my id " + testTox, []Contact{{KindTox, testTox}}},
		{"tox " + strings.Repeat("ab", 38), nil}, // checksum fails
		{"Session: " + testSession, []Contact{{KindSession, testSession}}},
		{"write to shop@protonmail.com", []Contact{{KindEmail, "shop@protonmail.com"}}},
		{"E-Mail: Shop@Tutanota.com", []Contact{{KindEmail, "shop@tutanota.com"}}},
		{"Jabber: a@b.cz jabber: a@b.cz", []Contact{{KindJabber, "a@b.cz"}}},
	} {
		if got := TypedContacts(c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("TypedContacts(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
}

func FuzzTypedContacts(f *testing.F) {
	for _, s := range []string{"Jabber: [EMAIL]a@xmpp.jp[/EMAIL]", "ICQ: 601463395", "wickr:caregivers420", "t.me/other_guy",
		"Tox: " + testTox, testSession, "Signal: +1 555 010 0199", "a@b.cz"} {
		f.Add(s)
	}
	kinds := map[string]bool{KindTelegram: true, KindJabber: true, KindWickr: true, KindSession: true, KindSignal: true, KindICQ: true, KindTox: true, KindEmail: true}
	f.Fuzz(func(t *testing.T, text string) {
		got := TypedContacts(text)
		if len(got) > maxMentions {
			t.Fatalf("%d contacts", len(got))
		}
		seen := map[Contact]bool{}
		for _, c := range got {
			if !kinds[c.Kind] || c.Value == "" || seen[c] || c.Value != strings.ToLower(c.Value) {
				t.Fatalf("TypedContacts(%q): %+v", text, c)
			}
			seen[c] = true
		}
	})
}

// TestParsersHostileInput runs the new parsers on 1 MB of hostile text:
// each must return (an error or a bounded answer) quickly.
func TestParsersHostileInput(t *testing.T) {
	inputs := map[string]string{
		"digits":   strings.Repeat("1", 1<<20),
		"dates":    strings.Repeat("21/11/2017 10:05 PM, ", 1<<20/21),
		"money":    strings.Repeat("$1 - ", 1<<20/5),
		"places":   strings.Repeat("Germany, ", 1<<20/9),
		"contacts": strings.Repeat("jabber: a@b.cz icq: 123456 ", 1<<20/27),
		"history":  strings.Repeat("Dream 3700 deals, 4.82/5; ", 1<<20/26),
		"at":       strings.Repeat("@", 1<<20),
	}
	captured := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, s := range inputs {
		start := time.Now()
		DateIn(s, captured, pipelineLocale(""))
		MoneyRange(s)
		Origin(s)
		Shipping(s)
		ParseShippingOption(s)
		Percent(s)
		HistoryClaims(s)
		if n := len(TypedContacts(s)); n > maxMentions {
			t.Errorf("%s: %d contacts", name, n)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: the parsers took %v on 1 MB", name, d)
		}
	}
}
