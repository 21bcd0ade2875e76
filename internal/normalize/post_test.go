package normalize

import (
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/pipeline"
)

func TestPostRecord(t *testing.T) {
	prov := event.Provenance{Source: "dredge", URL: "http://x.onion/post/1", ObservedAt: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC), CaptureSHA256: "ab"}
	body := "Bought from @Vendor on nebula market. Link http://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion/ pay 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 or 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3; harborside is not Harbor."
	rec := pipeline.Record{Type: pipeline.RecordPost, Fields: map[string]pipeline.Field{
		"post_id": {Raw: "p1"}, "thread_id": {Raw: "t1"}, "thread_title": {Raw: "Review"}, "author": {Raw: "alice"},
		"posted_at": {Raw: "3 days ago", Parser: pipeline.ParserDate}, "body": {Raw: body},
		"mentions_vendors": {Raw: "Vendor, @Vendor, Other"},
	}}
	p := Post(rec, prov, []string{"Nebula Market", "Harbor Bazaar", "Harbor"})
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	want := event.Mentions{
		Vendors: []string{"Vendor", "Other"},
		Markets: []string{"Nebula Market", "Harbor"},
		Onions:  []string{"p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion"},
		Crypto:  []event.CryptoAddress{{Chain: "btc", Address: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"}},
	}
	if p.Schema != event.SchemaPost || p.Forum != "dredge" || p.PostID != "p1" || p.ThreadID != "t1" || p.Author != "alice" ||
		!p.PostedAt.Equal(prov.ObservedAt.Add(-72*time.Hour).Truncate(24*time.Hour)) || p.PostedRaw != "3 days ago" || p.Body != body || len(p.Flags) != 0 {
		t.Errorf("post = %+v", p)
	}
	if !slices.Equal(p.Mentions.Vendors, want.Vendors) || !slices.Equal(p.Mentions.Markets, want.Markets) ||
		!slices.Equal(p.Mentions.Onions, want.Onions) || !slices.Equal(p.Mentions.Crypto, want.Crypto) {
		t.Errorf("mentions = %+v, want %+v", p.Mentions, want)
	}

	rec.Fields["posted_at"] = pipeline.Field{Raw: "in the future"}
	rec.Fields["body"] = pipeline.Field{Raw: strings.Repeat("x", event.MaxDescription+10)}
	p = Post(rec, prov, nil)
	if !p.PostedAt.IsZero() || !slices.Contains(p.Flags, "posted_at") || !slices.Contains(p.Flags, "body:truncated") || len(p.Body) > event.MaxDescription {
		t.Errorf("bad date and long body: flags %v, posted %v, body %d bytes", p.Flags, p.PostedAt, len(p.Body))
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}

// TestPostMentionLists checks that the mention list fields are bounded and
// that what they leave out is flagged, not dropped in silence.
func TestPostMentionLists(t *testing.T) {
	prov := event.Provenance{Source: "dredge", URL: "http://x.onion/post/1", ObservedAt: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)}
	var names []string
	for i := range maxListItems + 10 {
		names = append(names, "v"+strconv.Itoa(i))
	}
	long := strings.Repeat("m", event.MaxText+1)
	rec := pipeline.Record{Type: pipeline.RecordPost, Fields: map[string]pipeline.Field{
		"post_id":          {Raw: "p1"},
		"mentions_vendors": {Raw: strings.Join(names, ", ")},
		"mentions_markets": {Raw: "Nebula, " + long + ", Harbor,,Nebula"},
	}}
	p := Post(rec, prov, nil)
	if !slices.Equal(p.Mentions.Vendors, names[:maxListItems]) {
		t.Errorf("vendors = %d names %v..., want the first %d", len(p.Mentions.Vendors), p.Mentions.Vendors[:min(3, len(p.Mentions.Vendors))], maxListItems)
	}
	if want := []string{"Nebula", "Harbor"}; !slices.Equal(p.Mentions.Markets, want) {
		t.Errorf("markets = %v, want %v", p.Mentions.Markets, want)
	}
	if want := []string{"mentions_vendors:truncated", "mentions_markets"}; !slices.Equal(p.Flags, want) {
		t.Errorf("flags = %v, want %v", p.Flags, want)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}

// TestPostMentionsPastBodyBound checks that what a long body mentions
// after the part the event keeps is still found.
func TestPostMentionsPastBodyBound(t *testing.T) {
	prov := event.Provenance{Source: "dredge", URL: "http://x.onion/post/1", ObservedAt: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)}
	const onion = "p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion"
	body := strings.Repeat("filler ", event.MaxDescription/7+10) + "bought on Nebula Market via " + onion + " paid 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
	rec := pipeline.Record{Type: pipeline.RecordPost, Fields: map[string]pipeline.Field{"post_id": {Raw: "p1"}, "body": {Raw: body}}}
	p := Post(rec, prov, []string{"Nebula Market"})
	if len(p.Body) > event.MaxDescription || !slices.Contains(p.Flags, "body:truncated") {
		t.Errorf("body %d bytes, flags %v: want it bounded and flagged", len(p.Body), p.Flags)
	}
	if !slices.Equal(p.Mentions.Markets, []string{"Nebula Market"}) || !slices.Equal(p.Mentions.Onions, []string{onion}) ||
		!slices.Equal(p.Mentions.Crypto, []event.CryptoAddress{{Chain: "btc", Address: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"}}) {
		t.Errorf("mentions = %+v, want the market, onion and address after the bound", p.Mentions)
	}
}

// TestPostsOfFixtureForum extracts the saved thread pages of the fixture
// forum with its site file, normalizes every post as captured at
// fixture.Now and compares it with the forum's truth: the resolved date,
// vendors, markets, onion and Bitcoin addresses.
func TestPostsOfFixtureForum(t *testing.T) {
	site, err := pipeline.Load("../../pipelines/dredge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := fixture.Generate(7)
	f := w.Forum(fixture.Dredge)
	var markets []string
	for _, m := range w.AllMarkets() {
		markets = append(markets, m.Title)
	}
	n := 0
	for _, tc := range site.Tests {
		if tc.Page != "thread" {
			continue
		}
		body, err := os.ReadFile("../../pipelines/" + tc.File)
		if err != nil {
			t.Fatal(err)
		}
		res, err := site.Extract(tc.Page, tc.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(tc.URL)
		prov := event.Provenance{Source: site.Name, Mirror: u.Host, URL: tc.URL, ObservedAt: fixture.Now, CaptureSHA256: "00", Pipeline: site.ID()}
		for _, r := range res.Records {
			p := Post(r, prov, markets)
			th, ok := f.Thread(p.ThreadID)
			if !ok {
				t.Fatalf("thread %s not in the fixture", p.ThreadID)
			}
			i := slices.IndexFunc(th.Posts, func(q fixture.Post) bool { return q.ID == p.PostID })
			if i < 0 {
				t.Fatalf("post %s not in thread %s", p.PostID, th.ID)
			}
			q := th.Posts[i]
			n++
			var btc []string
			for _, c := range p.Mentions.Crypto {
				btc = append(btc, c.Address)
			}
			// An age of a day or more ("3 days ago", "yesterday") gives only a
			// day (DateIn); the fixture's "yesterday" spans 24-48 hours.
			sameTime := p.PostedAt.Equal(q.PostedAt)
			if d := q.PostedAt.Sub(p.PostedAt); !sameTime && p.PostedAt.Hour() == 0 &&
				(strings.Contains(p.PostedRaw, "days ago") || p.PostedRaw == "yesterday") {
				sameTime = d > -48*time.Hour && d < 48*time.Hour
			}
			if !sameTime || p.Author != q.Author || p.Body != q.Body || p.ThreadTitle != th.Title ||
				!sameSet(p.Mentions.Vendors, q.Vendors) || !sameSet(p.Mentions.Markets, q.Markets) ||
				!slices.Equal(p.Mentions.Onions, q.Onions) || !slices.Equal(btc, q.BTC) || len(p.Flags) != 0 {
				t.Errorf("post %s:\n got  %v %+v %v\n want %v vendors %v markets %v onions %v btc %v",
					p.PostID, p.PostedAt, p.Mentions, p.Flags, q.PostedAt, q.Vendors, q.Markets, q.Onions, q.BTC)
			}
		}
	}
	if n < 15 {
		t.Errorf("only %d posts checked", n)
	}
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
