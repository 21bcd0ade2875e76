package export

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/reference"
)

// draftRequest exports for partner from sender's country and returns the
// opened request.md.
func draftRequest(t *testing.T, e *env, partner, name string) string {
	t.Helper()
	req := e.request(partner, name)
	if partner == "nca-gb" {
		req.Minimize = []string{"listing_obs.description", "contacts"}
	}
	out, err := e.x.Export(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	_, dir := openPackage(t, e, partner, out.File)
	b, err := os.ReadFile(filepath.Join(dir, "request", "request.md"))
	if err != nil {
		t.Fatal(err)
	}
	if d := os.Getenv("COUNTERNET_REQUEST_OUT"); d != "" {
		if err := os.WriteFile(filepath.Join(d, name+".request.md"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return string(b)
}

// TestDraftRequestReadsAsARequest drafts DE->GB and NL->ES requests and
// checks what a prosecutor looks for: the legal basis the two states share
// (EU-UK TCA with the 1959 Convention; EIO), the 1988 Convention Art. 7,
// the fields of a real request, concrete facts with capture hashes, data
// the requested state can hold (no hidden server), country names as
// people write them, no raw codes or filter syntax, sections from 1.
func TestDraftRequestReadsAsARequest(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	e := newEnv(t)
	e.x.Partners = append(e.x.Partners, reference.Partner{ID: "policia-es", Agency: "Policía Nacional (test)", Country: "ES",
		Contact: "desk@test.invalid", MaxTLP: "amber", SigningKey: e.partners["plain-at"].keys.SigningPub})
	e.partners["policia-es"] = e.partners["plain-at"]
	deGB := draftRequest(t, e, "nca-gb", "de-gb")
	e.x.Sender = Sender{Agency: "Politie, Landelijke Eenheid (test)", Country: "NL", Contact: "thtc@test.invalid"}
	nlES := draftRequest(t, e, "policia-es", "nl-es")
	common := []string{"## 1. Authorities", "Issuing judicial authority", "Investigating police unit", "## 3. Offences", "Maximum penalty",
		"## 4. Statement of facts", "page SHA-256", "## 5. Assistance requested", "Link with the facts", "## 6. Dual criminality",
		"## 7. Urgency", "## 8. Confidentiality", "## 9. Procedure to follow", "## 10. Assurances", "Directive (EU) 2016/680",
		"## 12. Language and contact", "United Nations Convention against Illicit Traffic in Narcotic Drugs", "Art. 7"}
	for name, tc := range map[string]struct {
		md   string
		want []string
		not  []string
	}{
		"DE->GB": {deGB, []string{"EU–UK Trade and Cooperation Agreement", "Title VIII", "Art. 635", "European Convention on Mutual Assistance in Criminal Matters",
			"Second Additional Protocol", "the United Kingdom", "Germany", "Postal and customs data on consignments", "formal request"},
			[]string{"European Investigation Order (Directive", "Annex A"}},
		"NL->ES": {nlES, []string{"European Investigation Order (Directive 2014/41/EU)", "Annex A", "Annex D", "Art. 11(1)(g)", "the Netherlands", "Spain"},
			[]string{"Trade and Cooperation Agreement", "Netherlands, Kingdom of the"}},
	} {
		for _, w := range append(common, tc.want...) {
			if !strings.Contains(tc.md, w) {
				t.Errorf("%s: request.md lacks %q", name, w)
			}
		}
		for _, w := range append(tc.not, "hidden server", "United Kingdom of Great Britain", "Kingdom of the", "jurisdiction=", "route=", "(GB)", "(DE)", "### 5.0", "### 4.0") {
			if strings.Contains(tc.md, w) {
				t.Errorf("%s: request.md holds %q", name, w)
			}
		}
		if !regexp.MustCompile(`(?m)^### 5\.1 `).MatchString(tc.md) || !regexp.MustCompile(`(?m)^### 2\.1 `).MatchString(tc.md) {
			t.Errorf("%s: subsections do not start at 1", name)
		}
	}
}
