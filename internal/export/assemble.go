package export

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/reference"
)

// assembly accumulates what the streamed listings say, for the tables,
// the report and the objects written after the listings.
type assembly struct {
	listings    int
	first, last time.Time
	vendors     map[string]*Vendor // market:handle
	markets     map[string]*marketAgg
	routes      map[[2]string]*routeAgg
	weeks       map[time.Time]int
	categories  map[string]int
	vendorFrom  map[string]map[string]int // vendor key -> country -> listings
	vendorTo    map[string]map[string]int
	sightings   map[string]*sighting // address|source|kind|ref
	wallets     map[string]string    // address -> chain
	captures    []string             // in first-seen order
	captureWhat map[string]string    // what each capture shows, without its URL
	// prefer is the partner's country: examples of listings shipping to or
	// from it come first in the draft request.
	prefer              string
	preferred, examples []Example
	captureSet          map[string]bool
	links               []Link
	actors              []*actor
	actorOf             map[string]*actor // vendor key -> actor
	routeRows           []*RouteRow
	countries           map[string]bool
}

type marketAgg struct {
	Name        string
	Mirrors     map[string]bool
	Listings    int
	Vendors     map[string]bool
	First, Last time.Time
}

type routeAgg struct {
	listings    int
	vendors     map[string]bool
	categories  map[string]bool
	prices      []float64
	first, last time.Time
}

// actor is a threat actor: vendor identities grouped by strong links
// (shared PGP key or crypto address) and same-handle links.
type actor struct {
	ID, Name    string
	Aliases     []string
	Members     []*Vendor
	Listings    int
	First, Last time.Time
}

func newAssembly() *assembly {
	return &assembly{
		vendors: map[string]*Vendor{}, markets: map[string]*marketAgg{}, routes: map[[2]string]*routeAgg{},
		weeks: map[time.Time]int{}, categories: map[string]int{}, vendorFrom: map[string]map[string]int{},
		vendorTo: map[string]map[string]int{}, sightings: map[string]*sighting{}, wallets: map[string]string{},
		captureSet: map[string]bool{}, captureWhat: map[string]string{}, actorOf: map[string]*actor{}, countries: map[string]bool{},
	}
}

func widen(first, last *time.Time, f, l time.Time) {
	if f.Unix() > 0 && (first.IsZero() || f.Before(*first)) {
		*first = f
	}
	if l.After(*last) {
		*last = l
	}
}

// capture notes a captured page the package's records rest on, and what
// it shows (for the evidence index: no URL).
func (a *assembly) capture(sha, what string) {
	if sha != "" && !a.captureSet[sha] {
		a.captureSet[sha] = true
		a.captures = append(a.captures, sha)
		a.captureWhat[sha] = what
	}
}

// maxExamples bounds the listings the draft request cites.
const maxExamples = 6

// Example is a listing the draft request cites as a concrete fact.
type Example struct {
	Market, ListingID, Vendor string
	Title, Category           string
	Quantity                  float64
	Unit                      string
	Price                     float64
	Currency                  string
	ShipsFrom                 string
	ShipsTo                   []string
	FirstSeen, LastSeen       time.Time
	CaptureSHA256             string
}

// example keeps a listing as an example, those shipping to or from the
// partner's country first.
func (a *assembly) example(l *Listing) {
	e := Example{Market: l.Source, ListingID: l.ListingID, Vendor: l.Vendor, Title: l.Title, Category: l.Category,
		Quantity: l.Quantity, Unit: l.Unit, Price: l.PriceAmount, Currency: l.PriceCurrency, ShipsFrom: l.ShipsFrom,
		ShipsTo: l.ShipsTo, FirstSeen: l.FirstSeen, LastSeen: l.LastSeen, CaptureSHA256: l.CaptureSHA256}
	switch {
	case a.prefer != "" && (l.ShipsFrom == a.prefer || slices.Contains(l.ShipsTo, a.prefer)):
		if len(a.preferred) < maxExamples {
			a.preferred = append(a.preferred, e)
		}
	case len(a.examples) < maxExamples:
		a.examples = append(a.examples, e)
	}
}

// chosenExamples are the examples the request cites.
func (a *assembly) chosenExamples() []Example {
	out := append(append([]Example(nil), a.preferred...), a.examples...)
	return out[:min(len(out), maxExamples)]
}

func count(m map[string]map[string]int, k, c string) {
	if m[k] == nil {
		m[k] = map[string]int{}
	}
	m[k][c]++
}

// addListing takes one streamed listing into the aggregates.
func (a *assembly) addListing(l *Listing) {
	a.listings++
	widen(&a.first, &a.last, l.FirstSeen, l.LastSeen)
	a.capture(l.CaptureSHA256, "listing page: listing "+l.ListingID+" on "+l.Source)
	a.example(l)
	mk := a.markets[l.Source]
	if mk == nil {
		mk = &marketAgg{Name: l.Source, Mirrors: map[string]bool{}, Vendors: map[string]bool{}}
		a.markets[l.Source] = mk
	}
	mk.Listings++
	widen(&mk.First, &mk.Last, l.FirstSeen, l.LastSeen)
	if l.Mirror != "" {
		mk.Mirrors[l.Mirror] = true
	}
	if l.Category != "" {
		a.categories[l.Category]++
	}
	a.weeks[monday(l.FirstSeen)]++
	if l.Vendor != "" {
		key := l.VendorKey()
		mk.Vendors[key] = true
		v := a.vendors[key]
		if v == nil {
			v = &Vendor{Source: l.Source, Handle: l.Vendor}
			a.vendors[key] = v
		}
		v.Listings++
		widen(&v.FirstSeen, &v.LastSeen, l.FirstSeen, l.LastSeen)
		if l.ShipsFrom != "" {
			count(a.vendorFrom, key, l.ShipsFrom)
		}
		for _, to := range l.ShipsTo {
			count(a.vendorTo, key, to)
		}
	}
	if l.ShipsFrom != "" {
		a.countries[l.ShipsFrom] = true
	}
	for _, to := range l.ShipsTo {
		a.countries[to] = true
		r := a.routes[[2]string{l.ShipsFrom, to}]
		if r == nil {
			r = &routeAgg{vendors: map[string]bool{}, categories: map[string]bool{}}
			a.routes[[2]string{l.ShipsFrom, to}] = r
		}
		r.listings++
		if l.Vendor != "" {
			r.vendors[l.VendorKey()] = true
		}
		if l.Category != "" {
			r.categories[l.Category] = true
		}
		if l.PriceUSD > 0 {
			r.prices = append(r.prices, l.PriceUSD)
		}
		widen(&r.first, &r.last, l.FirstSeen, l.LastSeen)
	}
	for i, addr := range l.CryptoAddresses {
		chain := ""
		if i < len(l.CryptoChains) {
			chain = l.CryptoChains[i]
		}
		a.sight(&sighting{Address: addr, Chain: chain, Source: l.Source, Kind: "listing", Ref: l.ListingID, Actor: l.Vendor,
			FirstSeen: l.FirstSeen, LastSeen: l.LastSeen, Observations: l.Observations, CaptureSHA256: l.CaptureSHA256})
	}
}

func (a *assembly) sight(s *sighting) {
	a.wallets[s.Address] = s.Chain
	k := s.Address + "|" + s.Source + "|" + s.Kind + "|" + s.Ref
	if old := a.sightings[k]; old != nil {
		widen(&old.FirstSeen, &old.LastSeen, s.FirstSeen, s.LastSeen)
		return
	}
	a.sightings[k] = s
}

// monday is the Monday (UTC) of t's week.
func monday(t time.Time) time.Time {
	t = t.UTC().Truncate(24 * time.Hour)
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}

// addProfiles merges vendor profiles into the vendor identities.
func (a *assembly) addProfiles(ps []Vendor, linked bool) {
	for i := range ps {
		p := ps[i]
		v := a.vendors[p.Key()]
		if v == nil {
			p.Linked = linked
			a.vendors[p.Key()] = &p
			v = &p
		} else {
			listings, first, last := v.Listings, v.FirstSeen, v.LastSeen
			*v = p
			v.Listings, v.Linked = listings, v.Linked || (linked && listings == 0)
			widen(&v.FirstSeen, &v.LastSeen, first, last)
		}
		a.capture(p.CaptureSHA256, "vendor profile page: "+p.Handle+" on "+p.Source)
		if p.ShipsFrom != "" {
			a.countries[p.ShipsFrom] = true
		}
		for j, addr := range p.CryptoAddresses {
			chain := ""
			if j < len(p.CryptoChains) {
				chain = p.CryptoChains[j]
			}
			a.sight(&sighting{Address: addr, Chain: chain, Source: p.Source, Kind: "vendor", Ref: p.Handle, Actor: p.Handle,
				FirstSeen: p.FirstSeen, LastSeen: p.LastSeen, Observations: p.Observations, CaptureSHA256: p.CaptureSHA256})
		}
	}
}

// addLinks keeps the links whose evidence the package may carry and adds
// the identities on their far side.
func (a *assembly) addLinks(ls []Link, drop fieldSet) (far []string) {
	for _, l := range ls {
		switch l.Kind {
		case "pgp_fingerprint":
			if drop.has("vendor_obs.pgp_fingerprints") {
				continue
			}
		case "crypto_address":
			if drop.has("vendor_obs.crypto_addresses") || drop.has("listing_obs.crypto_addresses") {
				continue
			}
		}
		a.links = append(a.links, l)
		a.capture(l.CaptureA, "page of "+l.KeyA()+" showing the link with "+l.KeyB())
		a.capture(l.CaptureB, "page of "+l.KeyB()+" showing the link with "+l.KeyA())
		for _, k := range []string{l.KeyA(), l.KeyB()} {
			if a.vendors[k] == nil {
				src, h, _ := strings.Cut(k, ":")
				a.vendors[k] = &Vendor{Source: src, Handle: h, Linked: true}
				far = append(far, k)
			}
		}
	}
	return far
}

// groupActors groups vendor identities into threat actors over strong and
// same-handle links (union-find), naming each after its identity with the
// most listings.
func (a *assembly) groupActors() {
	keys := slices.Sorted(maps.Keys(a.vendors))
	parent := map[string]string{}
	find := func(k string) string {
		for {
			p, ok := parent[k]
			if !ok || p == k {
				return k
			}
			k = p
		}
	}
	for _, l := range a.links {
		if l.Strength != "strong" && l.Strength != "medium" {
			continue
		}
		ra, rb := find(l.KeyA()), find(l.KeyB())
		if ra != rb {
			if rb < ra {
				ra, rb = rb, ra
			}
			parent[rb] = ra
		}
	}
	groups := map[string][]*Vendor{}
	var roots []string
	for _, k := range keys {
		r := find(k)
		if groups[r] == nil {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], a.vendors[k])
	}
	for _, r := range roots {
		ms := groups[r]
		main := ms[0]
		for _, m := range ms {
			if m.Listings > main.Listings {
				main = m
			}
		}
		act := &actor{ID: sdoID("threat-actor", main.Key()), Name: main.Handle, Members: ms}
		seen := map[string]bool{strings.ToLower(main.Handle): true}
		for _, m := range ms {
			act.Listings += m.Listings
			widen(&act.First, &act.Last, m.FirstSeen, m.LastSeen)
			if !seen[strings.ToLower(m.Handle)] {
				seen[strings.ToLower(m.Handle)] = true
				act.Aliases = append(act.Aliases, m.Handle)
			}
			a.actorOf[m.Key()] = act
		}
		a.actors = append(a.actors, act)
	}
	slices.SortStableFunc(a.actors, func(x, y *actor) int {
		if x.Listings != y.Listings {
			return y.Listings - x.Listings
		}
		return strings.Compare(x.Name, y.Name)
	})
}

// buildRoutes turns the route aggregates into rows, most listings first.
func (a *assembly) buildRoutes() {
	for k, r := range a.routes {
		a.routeRows = append(a.routeRows, &RouteRow{
			From: k[0], To: k[1], Listings: r.listings, Vendors: len(r.vendors),
			Categories: slices.Sorted(maps.Keys(r.categories)), MedianPriceUSD: median(r.prices),
			FirstSeen: r.first, LastSeen: r.last,
		})
	}
	slices.SortFunc(a.routeRows, func(x, y *RouteRow) int {
		if x.Listings != y.Listings {
			return y.Listings - x.Listings
		}
		return strings.Compare(x.From+x.To, y.From+y.To)
	})
}

// sortedSightings lists the crypto sightings by address, market, kind, ref.
func (a *assembly) sortedSightings() []*sighting {
	out := slices.Collect(maps.Values(a.sightings))
	slices.SortFunc(out, func(x, y *sighting) int {
		return strings.Compare(x.Address+"|"+x.Source+"|"+x.Kind+"|"+x.Ref, y.Address+"|"+y.Source+"|"+y.Kind+"|"+y.Ref)
	})
	return out
}

// writeObjects writes everything but the listings to the bundle: markets,
// countries, threat actors and their accounts, wallets and relationships,
// vendor links with their evidence.
func (a *assembly) writeObjects(b *bundleWriter, ref *reference.Data, evidence map[string]bool) {
	for _, name := range slices.Sorted(maps.Keys(a.markets)) {
		m := a.markets[name]
		desc := fmt.Sprintf("Darknet market %s: %d listings by %d vendors in this package.", name, m.Listings, len(m.Vendors))
		if len(m.Mirrors) > 0 {
			desc += " Tor onion service mirrors: " + strings.Join(slices.Sorted(maps.Keys(m.Mirrors)), ", ") + "."
		}
		obj := map[string]any{"type": "infrastructure", "id": sdoID("infrastructure", name), "name": name,
			"description": desc, "infrastructure_types": []string{"hosting-target-lists"}}
		if !m.First.IsZero() {
			obj["first_seen"], obj["last_seen"] = stixTime(m.First), stixTime(m.Last)
		}
		b.sdo(obj)
	}
	for _, cc := range slices.Sorted(maps.Keys(a.countries)) {
		obj := map[string]any{"type": "location", "id": sdoID("location", cc), "country": cc}
		if c, ok := ref.Country(cc); ok {
			obj["name"] = c.Name
			obj["region"] = regionOV(c.Region)
			if obj["region"] == "" {
				delete(obj, "region")
			}
		}
		b.sdo(obj)
	}
	for _, act := range a.actors {
		var accounts []string
		for _, m := range act.Members {
			accounts = append(accounts, m.Key())
		}
		obj := map[string]any{
			"type": "threat-actor", "id": act.ID, "name": act.Name, "threat_actor_types": []string{"criminal"},
			"roles": []string{"agent"}, "primary_motivation": "personal-gain",
			"description": fmt.Sprintf("Darknet market vendor: %d listings in this package; vendor accounts %s (grouped by shared PGP keys, crypto addresses or the same handle).",
				act.Listings, strings.Join(accounts, ", ")),
		}
		if len(act.Aliases) > 0 {
			obj["aliases"] = act.Aliases
		}
		if !act.First.IsZero() {
			obj["first_seen"], obj["last_seen"] = stixTime(act.First), stixTime(act.Last)
		}
		b.sdo(obj)
		for _, m := range act.Members {
			ua := userAccountID(m.Source, m.Handle)
			b.sco(map[string]any{"type": "user-account", "id": ua, "user_id": m.Key(), "account_login": m.Handle,
				"account_type": accountType, "display_name": m.Handle})
			what := fmt.Sprintf("Operates the vendor account %s on market %s", m.Handle, m.Source)
			var refs []map[string]any
			if m.CaptureSHA256 != "" {
				refs = append(refs, evidenceRef(m.CaptureSHA256, "vendor profile page of "+m.Key(), evidence[m.CaptureSHA256]))
			}
			b.relationship(act.ID, "related-to", ua, what, refs)
			b.relationship(act.ID, "uses", sdoID("infrastructure", m.Source), "Sells on market "+m.Source, nil)
			if a.markets[m.Source] == nil {
				a.markets[m.Source] = &marketAgg{Name: m.Source, Mirrors: map[string]bool{}, Vendors: map[string]bool{}}
				b.sdo(map[string]any{"type": "infrastructure", "id": sdoID("infrastructure", m.Source), "name": m.Source,
					"description": "Darknet market " + m.Source + " (a linked vendor account is there).", "infrastructure_types": []string{"hosting-target-lists"}})
			}
			for _, cc := range slices.Sorted(maps.Keys(a.vendorFrom[m.Key()])) {
				b.relationship(act.ID, "located-at", sdoID("location", cc),
					fmt.Sprintf("%s: %d listings ship from %s", m.Key(), a.vendorFrom[m.Key()][cc], cc), nil)
			}
			if m.ShipsFrom != "" && a.vendorFrom[m.Key()][m.ShipsFrom] == 0 {
				b.relationship(act.ID, "located-at", sdoID("location", m.ShipsFrom),
					fmt.Sprintf("%s: the vendor profile says it ships from %s", m.Key(), m.ShipsFrom), nil)
			}
			for _, cc := range slices.Sorted(maps.Keys(a.vendorTo[m.Key()])) {
				b.relationship(act.ID, "targets", sdoID("location", cc),
					fmt.Sprintf("%s: %d listings ship to %s", m.Key(), a.vendorTo[m.Key()][cc], cc), nil)
			}
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(a.wallets)) {
		obj := map[string]any{"type": WalletType, "id": walletID(addr), "address": addr,
			"extensions": map[string]any{walletExtension: map[string]any{"extension_type": "new-sco"}}}
		if c := a.wallets[addr]; c != "" {
			obj["chain"] = c
		}
		b.sco(obj)
	}
	for _, s := range a.sortedSightings() {
		if s.Actor == "" {
			continue
		}
		desc := fmt.Sprintf("Shown on the %s page %s of market %s", s.Kind, s.Ref, s.Source)
		var refs []map[string]any
		if s.CaptureSHA256 != "" {
			refs = append(refs, evidenceRef(s.CaptureSHA256, "page showing the address", evidence[s.CaptureSHA256]))
		}
		b.relationship(userAccountID(s.Source, s.Actor), "related-to", walletID(s.Address), desc, refs)
	}
	for i := range a.links {
		b.vendorLink(&a.links[i], evidence)
	}
}

func linkWhat(kind string) string {
	switch kind {
	case "pgp_fingerprint":
		return "the PGP key fingerprint"
	case "crypto_address":
		return "the crypto address"
	case "handle":
		return "the handle"
	case "similar_handle":
		return "a handle stem (similar handles)"
	}
	return kind
}

// regionOV maps a UN M49 region name onto STIX's region-ov.
func regionOV(region string) string {
	switch region {
	case "Africa":
		return "africa"
	case "Americas":
		return "americas"
	case "Asia":
		return "asia"
	case "Europe":
		return "europe"
	case "Oceania":
		return "oceania"
	}
	return ""
}
