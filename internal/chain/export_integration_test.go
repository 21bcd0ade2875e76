package chain_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/export"
	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/warehouse"
)

// exportForLT exports the vendor's package to a partner in LT, the
// exchange's jurisdiction, verifies it with the sender's key and checks
// that it carries the E1 deposit flow and names the exchange as data
// holder in the draft request.
func exportForLT(ctx context.Context, t *testing.T, db *warehouse.DB, ref *reference.Data, g *graph) {
	dir := t.TempDir()
	sender, err := export.GenerateKeys(filepath.Join(dir, "sender"))
	if err != nil {
		t.Fatal(err)
	}
	partner, err := export.GenerateKeys(filepath.Join(dir, "partner"))
	if err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(dir, "partners.yaml")
	body := fmt.Sprintf(`partners:
  - id: police-lt
    agency: Lietuvos kriminalinės policijos biuras (test)
    country: LT
    contact: "duty desk (test)"
    signing_key: %q
    max_tlp: amber
    excluded_fields: []
`, partner.SigningPub)
	if err := os.WriteFile(pf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	partners, err := reference.LoadPartners(pf, ref)
	if err != nil {
		t.Fatal(err)
	}
	key, err := export.LoadSigningKey(filepath.Join(sender.Dir, export.SigningKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	x := &export.Exporter{DB: db, Ref: ref, Partners: partners,
		Sender:     export.Sender{Agency: "Bundeskriminalamt (test)", Country: "DE", Contact: "so4@test.invalid"},
		SigningKey: key, Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)}
	out, err := x.Export(ctx, export.Request{Partner: "police-lt", TLP: "amber", Purpose: "Identify the account holder behind the vendor's cash-out",
		LegalBasis: "Budapest Convention Art. 26", Who: "investigator.test", Selection: export.Selection{Vendors: []string{"m1:vend"}},
		Output: filepath.Join(dir, "lt.cnpkg")})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Manifest.Counts["flows"]; got != 1 {
		t.Errorf("manifest counts flows = %d, want 1", got)
	}
	if got := out.Manifest.Counts["untraced_addresses"]; got != 1 {
		t.Errorf("manifest counts untraced_addresses = %d, want 1", got)
	}
	pub, err := export.ParsePublicKey(sender.SigningPub)
	if err != nil {
		t.Fatal(err)
	}
	opened := filepath.Join(dir, "opened")
	if _, err := export.VerifyFile(out.File, export.VerifyOptions{Key: pub, Dir: opened}); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, f := range out.Manifest.Files {
		listed = append(listed, f.Path)
	}
	for _, want := range []string{"flows.csv", "request/request.md", "request/request.json", "request/preservation-LT.md"} {
		if !slices.Contains(listed, want) {
			t.Errorf("manifest does not list %s: %v", want, listed)
		}
	}

	f, err := os.Open(filepath.Join(opened, "flows.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("flows.csv: %d records, want the header and one flow: %v", len(recs), recs)
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	want := map[string]string{"vendor": "m1:vend", "from_address": g.addr("C1"), "service": "ExampleExchange",
		"service_category": "exchange", "jurisdiction": "LT", "deposit_address": g.addr("E1"), "txid": g.txs["peel2"],
		"amount_btc": "0.60000000", "amount_sat": "60000000", "hops": "2", "path": g.txs["peel1"] + " " + g.txs["peel2"]}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("flows.csv %s = %q, want %q", k, row[k], v)
		}
	}

	js, err := os.ReadFile(filepath.Join(opened, "request", "request.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		DataHolders []struct {
			Service, Jurisdiction string
			TotalSat              int64 `json:"total_sat"`
			Deposits              []struct {
				Address      string
				Transactions []struct {
					TxID      string `json:"txid"`
					AmountSat int64  `json:"amount_sat"`
				}
			}
		} `json:"data_holders"`
		Untraced []struct {
			Address string
		} `json:"untraced_addresses"`
		CooperationBasis []struct {
			LegalBasis string
		} `json:"cooperation_basis"`
	}
	if err := json.Unmarshal(js, &req); err != nil {
		t.Fatal(err)
	}
	if len(req.DataHolders) != 1 || req.DataHolders[0].Service != "ExampleExchange" || req.DataHolders[0].Jurisdiction != "LT" ||
		req.DataHolders[0].TotalSat != 60_000_000 || len(req.DataHolders[0].Deposits) != 1 ||
		req.DataHolders[0].Deposits[0].Address != g.addr("E1") || len(req.DataHolders[0].Deposits[0].Transactions) != 1 ||
		req.DataHolders[0].Deposits[0].Transactions[0].TxID != g.txs["peel2"] {
		t.Errorf("request.json data holders = %+v, want ExampleExchange (LT) with E1 and peel2", req.DataHolders)
	}
	if len(req.Untraced) != 1 || req.Untraced[0].Address != xmrAddress {
		t.Errorf("request.json untraced = %+v, want the Monero address", req.Untraced)
	}
	if len(req.CooperationBasis) == 0 {
		t.Fatal("request.json: no cooperation basis DE to LT")
	}
	md, err := os.ReadFile(filepath.Join(opened, "request", "request.md"))
	if err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(filepath.Join(opened, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := os.ReadFile(filepath.Join(opened, "bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The objects the flows add (the service as an organisation, its
	// location, wallets and flow relationships) against the OASIS schemas.
	wd, _ := os.Getwd()
	if dir, err := export.FindSTIXSchemas(wd); err != nil {
		t.Logf("not checking the bundle against the OASIS schemas: %v", err)
	} else {
		schemas, err := export.LoadSTIXSchemas(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range schemas.ValidateBundle(bundle) {
			t.Errorf("bundle.json: %v", err)
		}
	}
	for name, text := range map[string]string{"request.md": string(md), "report.html": string(report), "bundle.json": string(bundle)} {
		for _, want := range []string{"ExampleExchange", g.addr("E1"), g.txs["peel2"]} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
	for name, text := range map[string]string{"request.md": string(md), "report.html": string(report)} {
		for _, want := range []string{xmrAddress, "no tracing is claimed", req.CooperationBasis[0].LegalBasis} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
	if !strings.Contains(string(md), "Held by: ExampleExchange, an exchange in Lithuania") {
		t.Errorf("request.md does not name the exchange as data holder:\n%s", md)
	}
}
