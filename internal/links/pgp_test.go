package links

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// featureIndex is the index of the feature called name.
func featureIndex(t *testing.T, name string) int {
	t.Helper()
	k := slices.Index(Features(), name)
	if k < 0 {
		t.Fatalf("no feature %s in %v", name, Features())
	}
	return k
}

// TestPGPUserIDAndSubkeyFeatures: accounts whose keys differ but share a
// user-ID e-mail or a subkey get pgp_user_id / pgp_subkey, weighted by how
// many accounts show it (three here: the vendor's same key on a third
// market shows them too), with the pgp signal's evidence naming what they
// share and a contribution under the committed model like the other
// identifiers'; a user id sixteen accounts' keys carry (a market's support
// address) adds little and links nobody; the same key gets pgp_same_key
// only.
func TestPGPUserIDAndSubkeyFeatures(t *testing.T) {
	const (
		k1, k2, k3, k4 = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222",
			"3333333333333333333333333333333333333333", "4444444444444444444444444444444444444444"
		sub = "AAAA5B5D01B3E79AB97F278906AF5550993FCD00"
	)
	accts := []Account{
		{Source: "harbor", Handle: "snowman", PGP: []string{k1}, PGPUserIDs: []string{UserIDKey("snowman <SNOWMAN@protonmail.example>")}, PGPSubkeys: []string{sub}},
		{Source: "whitehall", Handle: "frosty_uk", PGP: []string{k2}, PGPUserIDs: []string{UserIDKey("Frosty (new key) <snowman@protonmail.example>")}},
		{Source: "bazaar", Handle: "icecold", PGP: []string{k3}, PGPUserIDs: []string{UserIDKey("icecold <ice@dnmx.example>")}, PGPSubkeys: []string{strings.ToLower(sub)}},
		{Source: "agora", Handle: "snowman", PGP: []string{k1}, PGPUserIDs: []string{UserIDKey("snowman <snowman@protonmail.example>")}, PGPSubkeys: []string{sub}},
	}
	// Sixteen accounts whose keys name the market's support address.
	for i := range 16 {
		accts = append(accts, Account{Source: "agora", Handle: "shop" + fmt.Sprint(i), PGP: []string{fmt.Sprintf("%040X", 0xBEEF00+i)},
			PGPUserIDs: []string{UserIDKey("Shop <support@agora.example>")}})
	}
	accts = append(accts, Account{Source: "bazaar", Handle: "nobody", PGP: []string{k4}})
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(accts)
	same, uid, subk := featureIndex(t, "pgp_same_key"), featureIndex(t, "pgp_user_id"), featureIndex(t, "pgp_subkey")
	three := 1 / math.Log2(3)
	contribution := map[string]float64{}
	for _, c := range []struct {
		name            string
		i, j            int
		same, uid, subk float64
		evidence        string
	}{
		{"user id e-mail", 0, 1, 0, three, 0, "keys sharing user ID snowman@protonmail.example (held by 3 accounts)"},
		{"subkey", 0, 2, 0, 0, three, "keys sharing subkey " + sub + " (held by 3 accounts)"},
		{"same key", 0, 3, 1, 0, 0, "key " + k1},
		{"support address", 4, 5, 0, 1 / math.Log2(16), 0, "keys sharing user ID support@agora.example (held by 16 accounts)"},
		{"nothing", 1, 20, 0, 0, 0, ""},
	} {
		x, ev := ix.pairFeatures(c.i, c.j, true)
		if math.Abs(x[same]-c.same) > 1e-9 || math.Abs(x[uid]-c.uid) > 1e-9 || math.Abs(x[subk]-c.subk) > 1e-9 {
			t.Errorf("%s: pgp features %.3f %.3f %.3f, want %.3f %.3f %.3f", c.name, x[same], x[uid], x[subk], c.same, c.uid, c.subk)
		}
		p, cs := m.Score(x, ev)
		got := ""
		for _, e := range cs {
			if e.Signal == SignalPGP {
				got, contribution[c.name] = e.Value, e.LogOdds
			}
		}
		if got != c.evidence {
			t.Errorf("%s: pgp evidence %q, want %q", c.name, got, c.evidence)
		}
		t.Logf("%s: probability %.4f, pgp %+.2f", c.name, p, contribution[c.name])
	}
	if contribution["user id e-mail"] < 4 || contribution["subkey"] < 3 {
		t.Errorf("pgp contributes %+.2f for a shared user id, %+.2f for a shared subkey: want strong evidence (≥ +4, ≥ +3)",
			contribution["user id e-mail"], contribution["subkey"])
	}
	if contribution["support address"] > contribution["user id e-mail"]/2 {
		t.Errorf("a user id sixteen accounts show adds %+.2f, one three show %+.2f: want under half", contribution["support address"], contribution["user id e-mail"])
	}
	res := Resolve(accts, m, Options{})
	for _, l := range res.Links {
		if l.Linked && (l.A >= 4 || l.B >= 4) {
			t.Errorf("%s and %s linked at %.2f: a user id sixteen accounts show is not enough", accts[l.A].Key(), accts[l.B].Key(), l.Probability)
		}
	}
}
