package realpages

import (
	"fmt"
	"regexp"
	"strings"
)

// postKeys maps a post of a thread page to post event fields.
var postKeys = map[string]fieldMap{
	"post_id":               fm("id", "post_id", "post_id"),
	"author":                fm("text", "author", "author"),
	"author_title":          fm("text", "author_title", "author_title"),
	"author_banner":         fm("text", "attributes.author_banner", "attributes.author_banner"),
	"author_joined_raw":     fm("date", "author_joined", "author_joined"),
	"author_registered":     fm("date", "author_joined", "author_joined"),
	"author_messages":       fm("num", "author_posts", "author_posts"),
	"author_posts":          fm("num", "author_posts", "author_posts"),
	"author_likes_received": fm("num", "attributes.author_likes", "attributes.author_likes"),
	"date_title_attr":       fm("date", "posted_at", "posted_at"),
	"date":                  fm("date", "posted_at", "posted_at"),
	"date_raw":              fm("date", "posted_at", "posted_at"),
	"date_display":          fm("date", "posted_at", "posted_at"),
	"number":                fm("num", "post_number", "post_number"),
	"body":                  fm("text", "body", "body"),
	"body_start":            fm("prefix", "body", "body"),
	"body_first_words":      fm("prefix", "body", "body"),
	"last_edited_display":   fm("date", "attributes.last_edited", "attributes.last_edited"),
	"last_edited_raw":       fm("date", "attributes.last_edited", "attributes.last_edited"),
}

// scoreThread scores a thread page: the thread's fields (on the posts'
// thread fields and on the thread event) and its posts.
func (sc *scorer) scoreThread(b map[string]any) {
	posts := sc.pe.posts
	th := first(sc.pe.threads)
	if th == nil && len(sc.pe.threadRecords) > 0 {
		// A thread record no event is made of yet: checkItem names its
		// raw value in the reason.
		th = &item{ev: obj{}, rec: sc.pe.threadRecords[0]}
	}
	title := text(b["title"])
	for _, k := range sortedKeys(b) {
		f := "thread." + k
		v := b[k]
		switch k {
		case "title":
			sc.eachPost(f, v, "thread_title", "thread_title", "text")
		case "thread_id":
			sc.eachPost(f, v, "thread_id", "thread_id", "id")
		case "subforum":
			sc.eachPost(f, v, "subforum", "subforum", "board")
		case "breadcrumb":
			var parts []string
			for _, p := range asList(v) {
				if text(p) != title {
					parts = append(parts, text(p))
				}
			}
			sc.eachPost(f, strings.Join(parts, " > "), "subforum", "subforum", "text")
		case "started_by":
			sc.checkItem(spec{field: f, want: v, typ: "thread", it: th, paths: []string{"author"}, raw: "author", cmp: "text"})
		case "started", "started_raw":
			if k == "started_raw" && b["started"] != nil {
				continue
			}
			sc.checkItem(spec{field: f, want: v, typ: "thread", it: th, paths: []string{"started_at"}, raw: "started_at", cmp: "date"})
		case "pagination":
			p, _ := v.(map[string]any)
			sc.checkItem(spec{field: f + ".total", want: p["total"], typ: "thread", it: th, paths: []string{"pages"}, raw: "pages", cmp: "num"})
			sc.checkNext(p["next_url"], nil)
		case "posts_on_page":
			sc.countIs(f, v, len(posts), "post")
		case "first_post", "first_post_on_page":
			sc.scorePost(f+".", v, first(posts))
		case "second_post":
			sc.scorePost(f+".", v, at(posts, 1))
		case "last_post_on_page":
			sc.scorePost(f+".", v, at(posts, len(posts)-1))
		case "posts":
			for i, e := range asList(v) {
				sc.scorePost(fmt.Sprintf("%s[%d].", f, i), e, at(posts, i))
			}
		case "authors_in_order":
			var got []string
			for _, p := range posts {
				got = append(got, text(p.ev["author"]))
			}
			var want []string
			for _, a := range asList(v) {
				want = append(want, text(a))
			}
			out := right
			if strings.Join(got, ",") != strings.Join(want, ",") {
				out = wrong
			}
			sc.add(f, strings.Join(want, ","), strings.Join(got, ","), out, "")
		case "distinct_authors", "distinct_authors_on_page":
			seen := map[string]bool{}
			for _, p := range posts {
				seen[text(p.ev["author"])] = true
			}
			sc.countIs(f, v, len(seen), "post")
		case "urls_in_posts", "prices_in_body", "body_mentions":
			sc.add(f, v, nil, unscored, "a summary of post text, not a field")
		default:
			sc.unmapped(f)
		}
	}
}

// eachPost compares a thread value with the thread field of every post on
// the page (counted once: right only when every post has it).
func (sc *scorer) eachPost(field string, want any, path, raw, cmp string) {
	posts := sc.pe.posts
	if len(posts) == 0 {
		sc.add(field, want, nil, missing, "no post events on the page")
		return
	}
	for i := range posts {
		paths := []string{path}
		if path == "subforum" {
			// Events carry the board path as board.
			paths = []string{"board", "subforum"}
		}
		sp := spec{field: field, want: want, typ: "post", it: &posts[i], paths: paths, raw: raw, cmp: cmp}
		if cmp == "board" {
			// The board path ends in the board's name.
			got, ok := lookupAny(posts[i].ev, paths)
			if ok && (text(got) == text(want) || strings.HasSuffix(text(got), " > "+text(want))) {
				continue
			}
			sp.cmp = "text"
		}
		n := len(sc.results)
		sc.check(sp)
		if sc.results[n].out != right {
			sc.results[n].field = fmt.Sprintf("%s (post %d)", field, i+1)
			return
		}
		sc.results = sc.results[:n]
	}
	sc.add(field, want, want, right, "")
}

// scorePost scores one post block.
func (sc *scorer) scorePost(prefix string, v any, it *item) {
	m, _ := v.(map[string]any)
	for _, k := range sortedKeys(m) {
		val := m[k]
		switch k {
		case "author_stats":
			st, _ := val.(map[string]any)
			for _, sk := range sortedKeys(st) {
				path, cmp := "attributes.author_"+sk, "num"
				if sk == "posts" {
					path = "author_posts"
				}
				if sk == "currency" || sk == "service_badge" {
					cmp = "text"
				}
				sc.check(spec{field: prefix + k + "." + sk, want: st[sk], typ: "post", it: it, paths: []string{path}, raw: path, cmp: cmp})
			}
			continue
		case "signature_contains_onion_links":
			for _, l := range asList(val) {
				sc.check(spec{field: prefix + k + "[" + text(l) + "]", want: l, typ: "post", it: it, paths: []string{"signature"}, raw: "signature", cmp: "contains"})
			}
			continue
		case "duplicate_of", "starts_with_quote_of", "date", "body_mentions", "body_note", "prices_in_body":
			if k == "date" {
				break
			}
			continue
		}
		if (k == "date_raw" || k == "date_display") && (m["date"] != nil || m["date_title_attr"] != nil) {
			continue
		}
		fmap, ok := postKeys[k]
		if !ok {
			sc.unmapped(prefix + k)
			continue
		}
		want := val
		if k == "last_edited_raw" {
			// "Last edited by ENZO (2014-01-14 05:18:21)": the date in it.
			if d := isoStampRE.FindString(text(val)); d != "" {
				want = d
			}
		}
		if fmap.cmp == "date" {
			if _, _, ok := wantDate(text(want)); !ok {
				fmap.cmp = "text"
				fmap.paths = []string{"posted_raw"}
			}
		}
		sc.check(spec{field: prefix + k, want: want, typ: "post", it: it, paths: fmap.paths, raw: fmap.raw, cmp: fmap.cmp})
	}
}

// isoStampRE finds a "2006-01-02 15:04:05" time stamp in a text.
var isoStampRE = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`)

// lookupAny is lookup trying paths in order.
func lookupAny(ev obj, paths []string) (any, bool) {
	for _, p := range paths {
		if v, ok := lookup(ev, p); ok {
			return v, true
		}
	}
	return nil, false
}
