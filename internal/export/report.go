package export

import (
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var reportHTML string

var reportTmpl = template.Must(template.New("report").Parse(reportHTML))

// TLP 2.0 colours (FIRST) and sharing rules, for the report's banner.
var tlpStyle = map[string]struct{ color, rule string }{
	"clear":        {"#FFFFFF", "Disclosure is not limited."},
	"green":        {"#33FF00", "Limited disclosure: the recipient's community, not public channels."},
	"amber":        {"#FFC000", "Limited disclosure: the recipient's organisation and its clients, on a need-to-know basis."},
	"amber+strict": {"#FFC000", "Limited disclosure: the recipient's organisation only."},
	"red":          {"#FF2B2B", "For the eyes and ears of individual recipients only; no further disclosure."},
}

type reportData struct {
	TLPName, TLPColor, TLPRule    string
	PackageID, Created, Software  string
	Sender                        Creator
	Partner                       Addressee
	SenderCountry, PartnerCountry string
	Purpose, LegalBasis, Case     string
	Selection, From, To           string
	Minimized                     []string
	Counts                        []nameValue
	Actors                        []reportActor
	Routes                        []reportRoute
	MoreRoutes                    int
	Chart                         barChart
	Timeline                      timeline
	Links                         []reportLink
	MoreLinks                     int
	Markets                       []reportMarket
	Channels                      []reportChannel
	Evidence                      EvidenceSummary
	FlowCountry                   string
	Flows                         []reportFlow
	MoreFlows                     int
	Holders                       []DataHolder
	Untraced                      []untracedAddress
	UntracedNote                  string
}

type nameValue struct {
	Name  string
	Value uint64
}

type reportActor struct {
	Name, Aliases, Accounts, First, Last string
	Listings                             int
}

type reportRoute struct {
	From, To, Median, Categories, First, Last string
	Listings, Vendors                         int
}

// reportLink is one vendor link as the report shows it: Probability and
// Why (each signal's contribution) when the identity model scored it.
type reportLink struct{ A, B, Kind, Strength, Evidence, Files, Probability, Why string }

type reportMarket struct {
	Name, Mirrors     string
	Listings, Vendors int
}

type reportChannel struct {
	ID                                        string `json:"id"`
	Name, LegalBasis, Reason, DualCriminality string
	Uncertain                                 bool
}

type barChart struct {
	Width, Height, Left, BarHeight int
	Bars                           []chartBar
}

type chartBar struct {
	Label, Value        string
	Y, W, TextY, ValueX int
}

type timeline struct {
	Width, Height, Base, BarWidth, TickY int
	Bars                                 []timeBar
	Ticks                                []timeTick
}

type timeBar struct {
	X, Y, H      int
	Label, Value string
}

type timeTick struct {
	X     int
	Label string
}

func day(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return "—"
	}
	return t.UTC().Format("2006-01-02")
}

// routeChart draws the top routes as horizontal bars.
func routeChart(rows []*RouteRow) barChart {
	c := barChart{Width: 760, Left: 90, BarHeight: 16}
	n := min(len(rows), 15)
	maxV := 1
	for _, r := range rows[:n] {
		maxV = max(maxV, r.Listings)
	}
	span := c.Width - c.Left - 60
	for i, r := range rows[:n] {
		y := 4 + i*22
		w := max(1, r.Listings*span/maxV)
		c.Bars = append(c.Bars, chartBar{Label: orDash(r.From) + " → " + r.To, Value: strconv.Itoa(r.Listings),
			Y: y, W: w, TextY: y + 12, ValueX: c.Left + w + 6})
	}
	c.Height = 8 + n*22
	return c
}

// weekChart draws listings per first-seen week.
func weekChart(weeks map[time.Time]int) timeline {
	t := timeline{Width: 760, Height: 150, Base: 120, TickY: 140}
	var ws []time.Time
	for w := range weeks {
		if w.Unix() > 0 {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return t
	}
	slices.SortFunc(ws, func(a, b time.Time) int { return a.Compare(b) })
	first, last := ws[0], ws[len(ws)-1]
	n := int(last.Sub(first).Hours()/(24*7)) + 1
	if n > 520 { // ten years of weeks at most; older weeks fold into the first
		first = last.AddDate(0, 0, -7*519)
		n = 520
	}
	t.BarWidth = min(40, max(1, (t.Width-10)/n-1))
	maxV := 1
	for _, v := range weeks {
		maxV = max(maxV, v)
	}
	for _, w := range ws {
		i := int(w.Sub(first).Hours() / (24 * 7))
		if i < 0 {
			i = 0
		}
		h := max(1, weeks[w]*110/maxV)
		t.Bars = append(t.Bars, timeBar{X: 5 + i*(t.BarWidth+1), Y: t.Base - h, H: h, Label: w.Format("week of 2006-01-02"), Value: strconv.Itoa(weeks[w])})
	}
	step := max(1, n/6)
	for i := 0; i < n; i += step {
		t.Ticks = append(t.Ticks, timeTick{X: 5 + i*(t.BarWidth+1), Label: first.AddDate(0, 0, 7*i).Format("2006-01-02")})
	}
	return t
}

func orDash(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// writeReport renders report.html.
func writeReport(path string, m *Manifest, a *assembly, fs *flowSet, channels []reportChannel, evidence map[string]bool) error {
	st := tlpStyle[m.TLP]
	d := reportData{
		TLPName: "TLP:" + strings.ToUpper(m.TLP), TLPColor: st.color, TLPRule: st.rule,
		PackageID: m.PackageID, Created: m.Created.Format(time.RFC3339), Software: m.Creator.Software,
		Sender: m.Creator, Partner: m.Partner, SenderCountry: m.Creator.Country, PartnerCountry: m.Partner.Country,
		Purpose: m.Purpose, LegalBasis: m.LegalBasis, Case: m.Case, Selection: m.Selection.Describe(),
		From: day(a.first), To: day(a.last), Minimized: m.Minimized, Channels: channels, Evidence: m.Evidence,
	}
	d.FlowCountry, d.Untraced, d.UntracedNote = fs.country, fs.untraced, UntracedNote
	d.Flows, d.MoreFlows = fs.reportRows()
	d.Holders = fs.dataHolders()
	for _, k := range []string{"listings", "vendors", "actors", "vendor_links", "crypto_addresses", "routes", "markets", "countries", "flows", "untraced_addresses", "evidence_records"} {
		d.Counts = append(d.Counts, nameValue{strings.ReplaceAll(k, "_", " "), m.Counts[k]})
	}
	for _, act := range a.actors[:min(len(a.actors), 25)] {
		var accts []string
		for _, mem := range act.Members {
			accts = append(accts, mem.Key())
		}
		d.Actors = append(d.Actors, reportActor{Name: act.Name, Aliases: strings.Join(act.Aliases, ", "),
			Accounts: strings.Join(accts, ", "), Listings: act.Listings, First: day(act.First), Last: day(act.Last)})
	}
	for _, r := range a.routeRows[:min(len(a.routeRows), 40)] {
		med := "—"
		if r.MedianPriceUSD > 0 {
			med = fmt.Sprintf("%.2f", r.MedianPriceUSD)
		}
		d.Routes = append(d.Routes, reportRoute{From: orDash(r.From), To: r.To, Listings: r.Listings, Vendors: r.Vendors,
			Median: med, Categories: strings.Join(r.Categories, ", "), First: day(r.FirstSeen), Last: day(r.LastSeen)})
	}
	d.MoreRoutes = len(a.routeRows) - len(d.Routes)
	d.Chart = routeChart(a.routeRows)
	d.Timeline = weekChart(a.weeks)
	for _, l := range a.links[:min(len(a.links), 50)] {
		var files []string
		for _, sha := range []string{l.CaptureA, l.CaptureB} {
			if evidence[sha] && !slices.Contains(files, sha[:16]+"…") {
				files = append(files, sha[:16]+"…")
			}
		}
		rl := reportLink{A: l.KeyA(), B: l.KeyB(), Kind: l.Kind, Strength: l.Strength,
			Evidence: l.Evidence, Files: strings.Join(files, " "), Probability: "not scored"}
		if l.Score.Scored {
			rl.Probability = fmt.Sprintf("%.3f", l.Score.Probability)
			rl.Why = l.Score.Explain()
		}
		d.Links = append(d.Links, rl)
	}
	d.MoreLinks = len(a.links) - len(d.Links)
	for _, name := range sortedKeys(a.markets) {
		mk := a.markets[name]
		d.Markets = append(d.Markets, reportMarket{Name: name, Listings: mk.Listings, Vendors: len(mk.Vendors),
			Mirrors: strings.Join(sortedKeys(mk.Mirrors), " ")})
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if err := reportTmpl.Execute(f, d); err != nil {
		f.Close()
		return fmt.Errorf("writing report: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
