package realpages

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// scorePage scores every value a truth file states, by its page_type.
func (sc *scorer) scorePage(truth map[string]any) {
	switch pt := text(truth["page_type"]); pt {
	case "listing_detail":
		b, _ := truth["listing"].(map[string]any)
		sc.scoreListing("listing.", b, first(sc.pe.listings))
	case "vendor_profile":
		b, _ := truth["vendor"].(map[string]any)
		sc.scoreVendorPage(b)
	case "category_grid", "search_grid", "category_grid_empty":
		sc.scoreGrid(truth, sc.pe.listings, "listing")
	case "forum_thread_index":
		sc.scoreGrid(truth, sc.pe.threads, "thread")
	case "forum_thread":
		b, _ := truth["thread"].(map[string]any)
		sc.scoreThread(b)
	default:
		sc.add("page_type", pt, nil, unscored, "no mapping in the test")
	}
	sc.scoreKeys(truth)
}

func first(items []item) *item {
	if len(items) == 0 {
		return nil
	}
	return &items[0]
}

func at(items []item, i int) *item {
	if i < 0 || i >= len(items) {
		return nil
	}
	return &items[i]
}

// scoreKeys scores the page-wide keys: PGP keys and crypto addresses.
func (sc *scorer) scoreKeys(truth map[string]any) {
	var all []item
	all = append(append(append(all, sc.pe.listings...), sc.pe.vendors...), sc.pe.posts...)
	var pgp, crypto []string
	for _, it := range all {
		for _, p := range []string{"pgp_fingerprints", "mentions.pgp"} {
			if v, ok := lookup(it.ev, p); ok {
				pgp = append(pgp, text(v))
			}
		}
		for _, p := range []string{"crypto_addresses", "mentions.crypto_addresses"} {
			if v, ok := lookup(it.ev, p); ok {
				crypto = append(crypto, text(v))
			}
		}
	}
	if v, ok := truth["pgp_key_present"]; ok {
		yes := v == true || v == "yes"
		switch {
		case yes && len(pgp) > 0:
			sc.add("pgp_key_present", true, pgp[0], right, "")
		case yes:
			sc.add("pgp_key_present", true, nil, missing, "no PGP fingerprint in any event (vendor pgp_key)")
		case len(pgp) > 0:
			sc.add("pgp_key_present", false, pgp, wrong, "a fingerprint the page does not show")
		default:
			sc.add("pgp_key_present", false, nil, right, "")
		}
	}
	if v, ok := truth["crypto_addresses"]; ok {
		list := asList(v)
		if len(list) == 0 {
			if len(crypto) > 0 {
				sc.add("crypto_addresses", "[]", crypto, wrong, "an address the page does not show")
			} else {
				sc.add("crypto_addresses", "[]", nil, right, "")
			}
		}
		for i, e := range list {
			m, _ := e.(map[string]any)
			addr := text(m["address"])
			got := strings.Join(crypto, " ")
			if strings.Contains(got, addr) {
				sc.add(fmt.Sprintf("crypto_addresses[%d]", i), addr, addr, right, "")
			} else {
				sc.add(fmt.Sprintf("crypto_addresses[%d]", i), addr, nil, missing, "no event carries the address")
			}
		}
	}
}

// scoreVendorPage scores a vendor profile: the vendor event and the
// listings table.
func (sc *scorer) scoreVendorPage(b map[string]any) {
	v := first(sc.pe.vendors)
	for _, k := range sortedKeys(b) {
		f := "vendor." + k
		val := b[k]
		if _, ok := b[strings.TrimSuffix(k, "_raw")]; ok && strings.HasSuffix(k, "_raw") {
			continue
		}
		switch k {
		case "name":
			sc.check(spec{field: f, want: val, typ: "vendor", it: v, paths: []string{"handle"}, raw: "handle", cmp: "text"})
		case "avg_rating":
			sc.check(spec{field: f, want: val, typ: "vendor", it: v, paths: []string{"rating"}, raw: "rating", cmp: "num"})
		case "transactions":
			sc.check(spec{field: f, want: val, typ: "vendor", it: v, paths: []string{"sales"}, raw: "sales", cmp: "num"})
		case "last_seen_raw", "vendor_for_raw":
			field, path := "last_seen", "last_seen"
			if k == "vendor_for_raw" {
				field, path = "joined", "joined"
			}
			t, _ := ago(sc.pe.captured, text(val))
			want := t.Format(time.DateOnly)
			if k == "last_seen_raw" {
				want = t.Format("2006-01-02T15:04")
			}
			sc.check(spec{field: f, want: want, typ: "vendor", it: v, paths: []string{path}, raw: field, cmp: "date"})
		case "discussion_count":
			sc.check(spec{field: f, want: val, typ: "vendor", it: v, paths: []string{"attributes.discussion_count"}, raw: "attributes.discussion_count", cmp: "num"})
		case "fe_policy":
			sc.check(spec{field: f, want: true, typ: "vendor", it: v, paths: []string{"finalize_early"}, raw: "finalize_early", cmp: "bool"})
		case "ships_from_stated_in_profile":
			sc.check(spec{field: f, want: val, typ: "vendor", it: v, paths: []string{"ships_from_raw"}, raw: "ships_from", cmp: "textci"})
		case "pgp_key_present":
			yes := val == true || val == "yes"
			sc.check(spec{field: f, want: yes, typ: "vendor", it: v, paths: []string{"pgp_fingerprints"}, raw: "pgp_key", cmp: "present"})
		case "listings_table":
			m, _ := val.(map[string]any)
			sc.countIs(f+".count", m["count"], len(sc.pe.listings), "listing")
			for i, e := range asList(m["items"]) {
				row, _ := e.(map[string]any)
				sc.scoreListing(fmt.Sprintf("%s.items[%d].", f, i), row, at(sc.pe.listings, i))
			}
		case "reviews":
			sc.add(f, reviewsShown(val), nil, missing, "reviews: no review record type in the contract (needs a review record and event)")
		default:
			sc.unmapped(f)
		}
	}
}

// countIs compares a count the truth states with the events found.
func (sc *scorer) countIs(field string, want any, got int, typ string) {
	w, _ := num(want)
	switch {
	case int(w) == got:
		sc.add(field, want, got, right, "")
	case got == 0 && typ == "thread" && len(sc.pe.threadRecords) > 0:
		sc.add(field, want, fmt.Sprintf("%d thread records", len(sc.pe.threadRecords)), missing, "normalization: no thread events: normalize.Thread does not exist on this branch")
	default:
		sc.add(field, want, got, wrong, typ+" events on the page")
	}
}

// scoreGrid scores a page of many items (a product grid or a forum's thread
// index).
func (sc *scorer) scoreGrid(truth map[string]any, items []item, typ string) {
	if typ == "thread" && len(items) == 0 {
		for _, r := range sc.pe.threadRecords {
			items = append(items, item{ev: obj{}, rec: r})
		}
	}
	if v, ok := truth["items_on_page"]; ok {
		n := len(items)
		if typ == "thread" && len(sc.pe.threads) == 0 {
			n = 0
		}
		sc.countIs("items_on_page", v, n, typ)
	}
	for _, k := range []string{"first_item_title", "last_item_title"} {
		if v, ok := truth[k]; ok {
			it := first(items)
			if k == "last_item_title" {
				it = at(items, len(items)-1)
			}
			sc.checkItem(spec{field: k, want: v, typ: typ, it: it, paths: []string{"title"}, raw: "title", cmp: "text"})
		}
	}
	if c, ok := truth["category"]; ok {
		var name any
		if m, ok := c.(map[string]any); ok {
			name = m["name"]
		}
		for i := range items {
			sc.check(spec{field: fmt.Sprintf("category[item %d]", i+1), want: name, typ: typ, it: &items[i],
				paths: []string{"attributes.page_category"}, raw: "attributes.page_category", cmp: "text"})
		}
	}
	if s, ok := truth["subforum"].(map[string]any); ok {
		for i := range items {
			sc.checkItem(spec{field: fmt.Sprintf("subforum[item %d]", i+1), want: s["name"], typ: typ, it: &items[i],
				paths: []string{"board", "subforum"}, raw: "subforum", cmp: "text"})
		}
	}
	if vs, ok := truth["vendors_on_page"].(map[string]any); ok {
		count := map[string]int{}
		for _, it := range items {
			count[text(it.ev["vendor"])]++
		}
		for _, name := range sortedKeys(vs) {
			w, _ := num(vs[name])
			out := right
			if count[name] != int(w) {
				out = wrong
			}
			sc.add("vendors_on_page."+name, vs[name], count[name], out, "")
		}
	}
	if p, ok := truth["pagination"].(map[string]any); ok {
		sc.checkNext(p["next_url"], p["next"])
	}
	for _, e := range asList(truth["sample_items"]) {
		m, _ := e.(map[string]any)
		pos, _ := num(m["position"])
		it := at(items, int(pos)-1)
		if pos == 0 {
			it = sc.byTitle(items, text(m["title"]))
		}
		prefix := fmt.Sprintf("item %v.", pos)
		if pos == 0 {
			prefix = fmt.Sprintf("item %q.", m["title"])
		}
		if typ == "thread" {
			sc.scoreThreadItem(prefix, m, it)
		} else {
			sc.scoreListing(prefix, m, it)
		}
	}
}

func (sc *scorer) byTitle(items []item, title string) *item {
	for i := range items {
		if collapse(text(items[i].ev["title"])) == collapse(title) || collapse(items[i].rec.Fields["title"].Raw) == collapse(title) {
			return &items[i]
		}
	}
	return nil
}

// checkItem is check for items that may be thread records without an
// event: their raw value is shown in the reason.
func (sc *scorer) checkItem(sp spec) {
	if sp.typ != "thread" || sp.it == nil || len(sp.it.ev) > 0 {
		sc.check(sp)
		return
	}
	if sp.want == nil {
		sc.add(sp.field, nil, nil, right, "")
		return
	}
	raw, ok := sp.it.rec.Fields[sp.raw]
	if !ok {
		sc.add(sp.field, sp.want, nil, missing, sc.reasonNoThread(sp))
		return
	}
	sc.add(sp.field, sp.want, nil, missing, fmt.Sprintf("normalization: raw %q extracted; no thread event: normalize.Thread does not exist on this branch", cut(raw.Raw)))
}

func (sc *scorer) reasonNoThread(sp spec) string {
	if why, ok := sc.l.dropped["thread."+sp.raw]; ok {
		return why
	}
	return "site file: thread field " + sp.raw + " not extracted (no selector for it, or it matched nothing)"
}

// checkNext compares the next-page link with the page's pagination.
func (sc *scorer) checkNext(next, alt any) {
	if next == nil && alt == nil {
		if len(sc.pe.res.Next) > 0 {
			sc.add("pagination.next_url", nil, sc.pe.res.Next[0].URL, wrong, "a next link on the last page")
		} else {
			sc.add("pagination.next_url", nil, nil, right, "")
		}
		return
	}
	if next == nil {
		next = alt
	}
	base, _ := url.Parse(sc.testURL())
	want := text(next)
	if u, err := base.Parse(want); err == nil {
		want = u.String()
	}
	for _, n := range sc.pe.res.Next {
		pre, post, elided := strings.Cut(want, "...")
		if n.URL == want || elided && strings.HasPrefix(n.URL, pre) && strings.HasSuffix(n.URL, post) {
			sc.add("pagination.next_url", want, n.URL, right, "")
			return
		}
	}
	if len(sc.pe.res.Next) > 0 {
		sc.add("pagination.next_url", want, sc.pe.res.Next[0].URL, wrong, "")
		return
	}
	sc.add("pagination.next_url", want, nil, missing, "no next link extracted")
}

func (sc *scorer) testURL() string {
	for _, t := range sc.l.site.Tests {
		if strings.HasSuffix(t.File, "/"+sc.site+"/"+sc.page) {
			return t.URL
		}
	}
	return ""
}

// threadKeys maps a thread index item to thread event fields.
var threadKeys = map[string]fieldMap{
	"title":                fm("text", "title", "title"),
	"thread_id":            fm("id", "thread_id", "thread_id"),
	"starter":              fm("text", "author", "author"),
	"replies":              fm("num", "replies", "replies"),
	"views":                fm("num", "views", "views"),
	"last_poster":          fm("text", "last_poster", "last_poster"),
	"last_post_title_attr": fm("date", "last_post", "last_post_at", "last_post"),
	"thread_pages":         fm("num", "pages", "pages"),
	"started_raw":          fm("date", "started_at", "started_at"),
	"last_post_raw":        fm("date", "last_post", "last_post_at", "last_post"),
	"last_post_display":    fm("text", "last_post", "last_post_at", "last_post"),
	"thread_pages_shown":   fm("num", "pages", "pages"),
}

// scoreThreadItem scores one item of a forum's thread index.
func (sc *scorer) scoreThreadItem(prefix string, m map[string]any, it *item) {
	for _, k := range sortedKeys(m) {
		if k == "position" {
			continue
		}
		if (k == "last_post_display" || k == "last_post_raw") && m["last_post_title_attr"] != nil {
			continue
		}
		fmap, ok := threadKeys[k]
		if !ok {
			sc.unmapped(prefix + k)
			continue
		}
		want := m[k]
		if k == "thread_pages_shown" {
			// "... 15 16 17": the thread has as many pages as the last
			// page link says.
			nums := numRE.FindAllString(text(want), -1)
			if len(nums) == 0 {
				sc.add(prefix+k, want, nil, unscored, "no page number shown")
				continue
			}
			want = nums[len(nums)-1]
		}
		if fmap.cmp == "date" {
			if _, _, ok := wantDate(text(want)); !ok {
				// A relative form ("Friday at 4:33 AM") is the day it
				// names before the capture time.
				t, ok := dayAt(sc.pe.captured, text(want))
				if !ok {
					sc.add(prefix+k, want, nil, unscored, "a relative date the test cannot resolve")
					continue
				}
				want = t.Format("2006-01-02T15:04")
			}
		}
		sc.checkItem(spec{field: prefix + k, want: want, typ: "thread", it: it, paths: fmap.paths, raw: fmap.raw, cmp: fmap.cmp})
	}
}

// reviewsShown summarises a truth reviews block for the report.
func reviewsShown(v any) string {
	m, _ := v.(map[string]any)
	return fmt.Sprintf("%v reviews on the page", m["count_on_page"])
}

// dayRE reads XenForo's relative day forms: "Friday at 4:33 AM", "Today
// at 2:11 PM", "Yesterday at 9:05 PM".
var dayRE = regexp.MustCompile(`^(Today|Yesterday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) at (\d{1,2}:\d{2} [AP]M)$`)

// dayAt resolves a relative day form against the capture time: the last
// such day on or before it (weekday forms are within the past week).
func dayAt(captured time.Time, s string) (time.Time, bool) {
	m := dayRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || captured.IsZero() {
		return time.Time{}, false
	}
	clock, err := time.Parse("3:04 PM", m[2])
	if err != nil {
		return time.Time{}, false
	}
	day := captured
	switch m[1] {
	case "Today":
	case "Yesterday":
		day = day.AddDate(0, 0, -1)
	default:
		for day.Weekday().String() != m[1] {
			day = day.AddDate(0, 0, -1)
		}
	}
	return time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), 0, 0, time.UTC), true
}
