package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/chain"
	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/warehouse"
)

// UntracedNote is what packages say of the addresses they list but do not
// trace.
const UntracedNote = "Monero hides amounts and counterparts on chain: these addresses are recorded and linked across vendors and markets, but no tracing is claimed."

// flowSet is what the chain analysis adds to a package: the flows of the
// package's vendors to services in the partner's country, and the addresses
// of other chains that are recorded but not traced.
type flowSet struct {
	country  string
	flows    []warehouse.ChainServiceFlow
	untraced []untracedAddress
}

// untracedAddress is an address of a chain counternet does not trace.
type untracedAddress struct {
	Address string   `json:"address"`
	Chain   string   `json:"chain"`
	Vendors []string `json:"vendors"`
}

// loadFlows reads the flows of the package's vendors to services in
// country. Flows rest on the vendors' crypto addresses: when those are
// minimized, the package carries none.
func loadFlows(ctx context.Context, db *warehouse.DB, country string, a *assembly, drop fieldSet) (*flowSet, error) {
	fs := &flowSet{country: country, untraced: untraced(a)}
	if country == "" || len(a.vendors) == 0 || drop.has("listing_obs.crypto_addresses") || drop.has("vendor_obs.crypto_addresses") {
		return fs, nil
	}
	flows, err := db.ChainServiceFlows(ctx, country, sortedKeys(a.vendors))
	if err != nil {
		return nil, err
	}
	fs.flows = flows
	return fs, nil
}

// untraced lists the package's addresses of chains other than Bitcoin,
// with the vendors that showed them.
func untraced(a *assembly) []untracedAddress {
	byAddr := map[string]*untracedAddress{}
	for _, s := range a.sortedSightings() {
		if s.Chain == "" || s.Chain == chain.ChainBitcoin {
			continue
		}
		u := byAddr[s.Address]
		if u == nil {
			u = &untracedAddress{Address: s.Address, Chain: s.Chain}
			byAddr[s.Address] = u
		}
		if s.Actor != "" && !slices.Contains(u.Vendors, s.Source+":"+s.Actor) {
			u.Vendors = append(u.Vendors, s.Source+":"+s.Actor)
		}
	}
	out := make([]untracedAddress, 0, len(byAddr))
	for _, k := range sortedKeys(byAddr) {
		slices.Sort(byAddr[k].Vendors)
		out = append(out, *byAddr[k])
	}
	return out
}

// services lists the services the flows reach, by label.
func (fs *flowSet) services() []string {
	seen := map[string]bool{}
	for _, f := range fs.flows {
		seen[f.Service] = true
	}
	return sortedKeys(seen)
}

func flowVendor(f *warehouse.ChainServiceFlow) string { return f.Market + ":" + f.Vendor }

var flowColumns = []column[*warehouse.ChainServiceFlow]{
	{"vendor", "", flowVendor},
	{"origin_address", "", func(f *warehouse.ChainServiceFlow) string { return f.Origin }},
	{"from_address", "", func(f *warehouse.ChainServiceFlow) string { return f.From }},
	{"service", "", func(f *warehouse.ChainServiceFlow) string { return f.Service }},
	{"service_category", "", func(f *warehouse.ChainServiceFlow) string { return f.Category }},
	{"jurisdiction", "", func(f *warehouse.ChainServiceFlow) string { return f.Jurisdiction }},
	{"attribution_source", "", func(f *warehouse.ChainServiceFlow) string { return f.TagSource }},
	{"attribution_confidence", "", func(f *warehouse.ChainServiceFlow) string { return f.Confidence }},
	{"deposit_address", "", func(f *warehouse.ChainServiceFlow) string { return f.Deposit }},
	{"txid", "", func(f *warehouse.ChainServiceFlow) string { return f.TxID }},
	{"amount_btc", "", func(f *warehouse.ChainServiceFlow) string { return chain.FormatBTC(f.Value) }},
	{"amount_sat", "", func(f *warehouse.ChainServiceFlow) string { return strconv.FormatInt(f.Value, 10) }},
	{"block_time", "", func(f *warehouse.ChainServiceFlow) string { return tstr(f.BlockTime) }},
	{"hops", "", func(f *warehouse.ChainServiceFlow) string { return strconv.Itoa(f.Hops) }},
	{"path", "", func(f *warehouse.ChainServiceFlow) string { return strings.Join(f.Path, " ") }},
}

// writeCSV writes flows.csv when there are flows.
func (fs *flowSet) writeCSV(dir string, drop fieldSet) error {
	if len(fs.flows) == 0 {
		return nil
	}
	rows := make([]*warehouse.ChainServiceFlow, len(fs.flows))
	for i := range fs.flows {
		rows[i] = &fs.flows[i]
	}
	return writeAll(filepath.Join(dir, "flows.csv"), flowColumns, drop, rows)
}

func serviceID(label string) string { return sdoID("identity", "service|"+label) }

// writeObjects adds the services (identity, located in their
// jurisdiction), their deposit addresses and the flows reaching them
// (relationships from the vendor's address to the deposit address) to the
// bundle.
func (fs *flowSet) writeObjects(b *bundleWriter, a *assembly, ref *reference.Data) {
	if len(fs.flows) == 0 {
		return
	}
	wallets := map[string]bool{}
	for w := range a.wallets {
		wallets[w] = true
	}
	wallet := func(addr string) {
		if addr == "" || wallets[addr] {
			return
		}
		wallets[addr] = true
		b.sco(map[string]any{"type": WalletType, "id": walletID(addr), "address": addr, "chain": chain.ChainBitcoin,
			"extensions": map[string]any{walletExtension: map[string]any{"extension_type": "new-sco"}}})
	}
	done := map[string]bool{}
	for i := range fs.flows {
		f := &fs.flows[i]
		if !done[f.Service] {
			done[f.Service] = true
			b.sdo(map[string]any{"type": "identity", "id": serviceID(f.Service), "name": f.Service,
				"identity_class": "organization", "sectors": []string{"financial-services"},
				"description": fmt.Sprintf("Virtual asset service (%s) in %s: data holder for the accounts behind the deposit addresses in flows.csv. Attribution: %s, confidence %s.",
					f.Category, f.Jurisdiction, f.TagSource, f.Confidence)})
			if cc := f.Jurisdiction; cc != "" {
				if !a.countries[cc] {
					a.countries[cc] = true
					obj := map[string]any{"type": "location", "id": sdoID("location", cc), "country": cc}
					if c, ok := ref.Country(cc); ok {
						obj["name"] = c.Name
						if r := regionOV(c.Region); r != "" {
							obj["region"] = r
						}
					}
					b.sdo(obj)
				}
				b.relationship(serviceID(f.Service), "located-at", sdoID("location", cc), f.Service+" operates in "+cc, nil)
			}
		}
		wallet(f.Origin)
		wallet(f.Deposit)
		b.relationship(walletID(f.Deposit), "related-to", serviceID(f.Service),
			fmt.Sprintf("Deposit address attributed to %s (%s, %s) by %s, confidence %s.", f.Service, f.Category, f.Jurisdiction, f.TagSource, f.Confidence), nil)
		if f.Origin != "" {
			b.relationship(walletID(f.Origin), "related-to", walletID(f.Deposit),
				fmt.Sprintf("Bitcoin flow of vendor %s: transaction %s paid %s BTC (%d sat) to %s at %s, %d hop(s) from the vendor's address %s (path %s).",
					flowVendor(f), f.TxID, chain.FormatBTC(f.Value), f.Value, f.Deposit, tstr(f.BlockTime), f.Hops, f.Origin, strings.Join(f.Path, " → ")), nil)
		}
	}
}

// reportFlow is one flow in the report.
type reportFlow struct {
	Vendor, Service, Category, Jurisdiction, Deposit, TxID, BTC, Time string
	Hops                                                              int
}

// maxReportFlows bounds the flows the report lists (flows.csv has all).
const maxReportFlows = 200

func (fs *flowSet) reportRows() (rows []reportFlow, more int) {
	for i := range fs.flows[:min(len(fs.flows), maxReportFlows)] {
		f := &fs.flows[i]
		rows = append(rows, reportFlow{Vendor: flowVendor(f), Service: f.Service, Category: f.Category, Jurisdiction: f.Jurisdiction,
			Deposit: f.Deposit, TxID: f.TxID, BTC: chain.FormatBTC(f.Value), Time: tstr(f.BlockTime), Hops: f.Hops})
	}
	return rows, len(fs.flows) - len(rows)
}

// DataHolder is a virtual asset service the flows reach, asked to preserve
// and disclose the account data behind its deposit addresses.
type DataHolder struct {
	Service      string    `json:"service"`
	Category     string    `json:"category"`
	Jurisdiction string    `json:"jurisdiction"`
	Attribution  string    `json:"attribution"`
	Confidence   string    `json:"confidence"`
	TotalBTC     string    `json:"total_btc"`
	TotalSat     int64     `json:"total_sat"`
	Deposits     []Deposit `json:"deposits"`
	// DataFrom and DataUntil bound the period of the data sought: 30
	// days before the first flow to 90 days after the last.
	DataFrom   string `json:"data_from"`
	DataUntil  string `json:"data_until"`
	DataSought string `json:"data_sought"`
}

// Deposit is one deposit address of a data holder with the transactions
// that reached it.
type Deposit struct {
	Address      string      `json:"address"`
	First        string      `json:"first"`
	Last         string      `json:"last"`
	TotalBTC     string      `json:"total_btc"`
	TotalSat     int64       `json:"total_sat"`
	Transactions []DepositTx `json:"transactions"`
}

// DepositTx is one transaction paying a deposit address.
type DepositTx struct {
	TxID      string `json:"txid"`
	AmountBTC string `json:"amount_btc"`
	AmountSat int64  `json:"amount_sat"`
	BlockTime string `json:"block_time"`
	Hops      int    `json:"hops"`
	Vendor    string `json:"vendor"`
}

const holderDataSought = "For every account credited through these deposit addresses: subscriber and KYC data (name, date of birth, address, identity documents, verified phone and e-mail), IP addresses and device data of logins, the account's transaction history, and the destinations of withdrawals (bank accounts, cards, other addresses)."

// dataHolders groups the flows by service and deposit address.
func (fs *flowSet) dataHolders() []DataHolder {
	var out []DataHolder
	for _, s := range fs.services() {
		h := DataHolder{Service: s, DataSought: holderDataSought}
		deposits := map[string]*Deposit{}
		var first, last time.Time
		var dfirst, dlast = map[string]time.Time{}, map[string]time.Time{}
		for i := range fs.flows {
			f := &fs.flows[i]
			if f.Service != s {
				continue
			}
			h.Category, h.Jurisdiction, h.Attribution, h.Confidence = f.Category, f.Jurisdiction, f.TagSource, f.Confidence
			d := deposits[f.Deposit]
			if d == nil {
				d = &Deposit{Address: f.Deposit}
				deposits[f.Deposit] = d
			}
			d.Transactions = append(d.Transactions, DepositTx{TxID: f.TxID, AmountBTC: chain.FormatBTC(f.Value), AmountSat: f.Value,
				BlockTime: tstr(f.BlockTime), Hops: f.Hops, Vendor: flowVendor(f)})
			d.TotalSat += f.Value
			h.TotalSat += f.Value
			df, dl := dfirst[f.Deposit], dlast[f.Deposit]
			widen(&df, &dl, f.BlockTime, f.BlockTime)
			dfirst[f.Deposit], dlast[f.Deposit] = df, dl
			widen(&first, &last, f.BlockTime, f.BlockTime)
		}
		for _, addr := range sortedKeys(deposits) {
			d := deposits[addr]
			d.TotalBTC, d.First, d.Last = chain.FormatBTC(d.TotalSat), tstr(dfirst[addr]), tstr(dlast[addr])
			h.Deposits = append(h.Deposits, *d)
		}
		h.TotalBTC = chain.FormatBTC(h.TotalSat)
		h.DataFrom, h.DataUntil = day(first.AddDate(0, 0, -30)), day(last.AddDate(0, 0, 90))
		out = append(out, h)
	}
	return out
}

// writeDraft writes request/preservation-<CC>.md, the chain analysis's
// own draft preservation request to the services in the partner's country.
func (fs *flowSet) writeDraft(dir string, m *Manifest, channels []reportChannel) error {
	if len(fs.flows) == 0 {
		return nil
	}
	r := &chain.Request{Requesting: m.Creator.Country, Partner: fs.country, Authority: m.Creator.Agency,
		CaseRef: m.Case, Now: m.Created}
	for _, f := range fs.flows {
		r.Flows = append(r.Flows, f.ServiceFlow)
	}
	for i, c := range channels {
		r.Channels = append(r.Channels, chain.Channel{Rank: i + 1, ID: c.ID, Name: c.Name, LegalBasis: c.LegalBasis,
			Reason: c.Reason, Uncertain: c.Uncertain, DualCriminality: c.DualCriminality})
	}
	for _, u := range fs.untraced {
		r.Untraced = append(r.Untraced, u.Address)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing preservation request: %w", err)
	}
	var b strings.Builder
	b.WriteString(DraftMarker + "\n\n")
	if err := r.WriteDraft(&b); err != nil {
		return fmt.Errorf("writing preservation request: %w", err)
	}
	b.WriteString("\n---\n\n" + DraftMarker + "\n")
	if err := writeNew(filepath.Join(dir, "preservation-"+fs.country+".md"), []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("writing preservation request: %w", err)
	}
	return nil
}
