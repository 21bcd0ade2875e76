package chain

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// ServiceFlow is one flow from a vendor's addresses to a deposit address of
// a tagged service (a chain_flows row with endpoint service).
type ServiceFlow struct {
	Market, Vendor string
	Service        string // the tag's label
	Category       string
	Jurisdiction   string
	Confidence     string
	TagSource      string
	Deposit        string // the service's address the flow reached
	TxID           string
	Value          int64 // satoshi
	BlockTime      time.Time
	Hops           int
	Path           []string
}

// Channel is a cooperation channel between the requesting country and the
// partner (view cooperation).
type Channel struct {
	Rank            int
	ID, Name        string
	LegalBasis      string
	Reason          string
	Uncertain       bool
	DualCriminality string
}

// Request is a draft request to preserve and disclose the account data
// behind deposit addresses at services in one partner country.
type Request struct {
	Requesting string // ISO alpha-2 of the requesting country
	Partner    string // ISO alpha-2 of the country hosting the services
	Authority  string // requesting authority, as the investigator names it
	CaseRef    string
	Flows      []ServiceFlow
	Channels   []Channel
	// Untraced are Monero (and other untraced) addresses of the same
	// vendors: listed so the partner knows they exist, never traced.
	Untraced []string
	Now      time.Time
}

// FormatBTC formats an amount in satoshi as BTC with eight decimals
// ("0.00012345", "-1.50000000").
func FormatBTC(sat int64) string {
	sign := ""
	if sat < 0 {
		sign, sat = "-", -sat
	}
	return fmt.Sprintf("%s%d.%08d", sign, sat/1e8, sat%1e8)
}

// btc formats satoshi as FormatBTC does, with the unit.
func btc(sat int64) string { return FormatBTC(sat) + " BTC" }

// WriteDraft writes the draft request as Markdown: the facts (flows with
// their transactions, amounts and time windows per deposit address), the
// data sought from each service as data holder, the procedure, the time
// limits and the cooperation basis. It is a draft for the investigator and
// the central authority to complete, never sent by counternet.
func (r *Request) WriteDraft(w io.Writer) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# DRAFT — request for preservation and disclosure of account data\n\n")
	p("Requesting authority: %s (%s)  \nCase reference: %s  \nTo: the central authority of %s  \nDrafted: %s (UTC)\n\n",
		orDash(r.Authority), r.Requesting, orDash(r.CaseRef), r.Partner, r.Now.UTC().Format("2006-01-02 15:04"))
	p("## Purpose\n\nTo identify the holders of accounts at virtual-asset services in %s that received proceeds "+
		"of drug trafficking offered on darknet markets, and to prevent the loss of the data while a request for "+
		"mutual legal assistance is prepared.\n\n", r.Partner)
	p("## Facts\n\nVendors of controlled substances on darknet markets published Bitcoin addresses on their " +
		"listings and profiles (captured as evidence with SHA-256 hashes). Transactions on the public Bitcoin " +
		"blockchain show value moving from those addresses, directly or through intermediate addresses, to " +
		"deposit addresses attributed to the services below.\n\n")
	byService := map[string][]ServiceFlow{}
	var services []string
	for _, f := range r.Flows {
		if _, ok := byService[f.Service]; !ok {
			services = append(services, f.Service)
		}
		byService[f.Service] = append(byService[f.Service], f)
	}
	sort.Strings(services)
	for _, s := range services {
		fs := byService[s]
		sort.Slice(fs, func(i, j int) bool { return fs[i].BlockTime.Before(fs[j].BlockTime) })
		var total int64
		for _, f := range fs {
			total += f.Value
		}
		p("### %s (%s, %s)\n\nAttribution: %s, confidence %s.  \nTotal reaching its deposit addresses: %s in %d transaction(s), %s to %s.\n\n",
			s, fs[0].Category, fs[0].Jurisdiction, fs[0].TagSource, fs[0].Confidence, btc(total), len(fs),
			fs[0].BlockTime.UTC().Format("2006-01-02 15:04"), fs[len(fs)-1].BlockTime.UTC().Format("2006-01-02 15:04"))
		p("| deposit address | transaction | amount | time (UTC) | hops from vendor | vendor |\n|---|---|---|---|---|---|\n")
		for _, f := range fs {
			p("| %s | %s | %s | %s | %d | %s:%s |\n", f.Deposit, f.TxID, btc(f.Value),
				f.BlockTime.UTC().Format("2006-01-02 15:04:05"), f.Hops, f.Market, f.Vendor)
		}
		p("\n")
	}
	p("## Offences\n\nIllicit trafficking in narcotic drugs and psychotropic substances; laundering of its proceeds. " +
		"(Name the provisions of the requesting state's law.)\n\n")
	p("## Data sought, held by each service as data holder\n\nFor every account credited through the deposit " +
		"addresses listed above: subscriber and KYC data (name, date of birth, address, identity documents, " +
		"verified phone and e-mail), IP addresses and device data of logins and of the credited deposits' period, " +
		"the account's transaction history, and the destinations of withdrawals (bank accounts, card numbers, " +
		"other addresses), for the period from 30 days before the first to 90 days after the last transaction above.\n\n")
	p("## Procedure\n\nPreserve expeditiously and do not notify the account holders. The data are to be " +
		"disclosed after the formal request follows, through the channel below.\n\n")
	p("## Time limits\n\nPreservation for at least 90 days (Budapest Convention Art. 29(7)), renewable.\n\n")
	p("## Cooperation basis\n\n")
	if len(r.Channels) == 0 {
		p("No channel between %s and %s in the reference data: name the basis.\n\n", r.Requesting, r.Partner)
	}
	for _, c := range r.Channels {
		u := ""
		if c.Uncertain {
			u = " (to be confirmed)"
		}
		p("%d. %s — %s%s. %s\n", c.Rank, c.Name, c.LegalBasis, u, c.Reason)
	}
	p("\n## Limits of the analysis\n\nAmounts are the values of the outputs reaching the deposit addresses, " +
		"not a share of the vendor's funds in them. Attribution of deposit addresses rests on the source named " +
		"for each service; common-input clustering can join addresses of different owners (see the method notes). " +
		"CoinJoin-shaped transactions were not traced through.\n")
	if len(r.Untraced) > 0 {
		p("\nThe same vendors also published Monero addresses (%s). Monero hides amounts and counterparts on "+
			"chain: they are recorded and linked across vendors and markets, but no tracing is claimed.\n",
			strings.Join(r.Untraced, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
