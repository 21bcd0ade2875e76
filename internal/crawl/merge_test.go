package crawl

import (
	"testing"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

func rec(partial bool, fields ...string) pipeline.Record {
	r := pipeline.Record{Type: pipeline.RecordListing, Partial: partial, Fields: map[string]pipeline.Field{}}
	for i := 0; i+1 < len(fields); i += 2 {
		r.Fields[fields[i]] = pipeline.Field{Raw: fields[i+1]}
	}
	return r
}

func TestRunStateMerge(t *testing.T) {
	rs := newRunState("whitehall")
	grid := event.Provenance{URL: "http://x.onion/grid?page=1"}
	detail := event.Provenance{URL: "http://x.onion/offer/7"}

	// A tile waits; its detail page absorbs it, the detail page winning.
	if out := rs.merge(rec(true, "listing_id", "7", "price", "1.5 XMR", "title", "short"), grid); len(out) != 0 {
		t.Fatalf("tile published at once: %+v", out)
	}
	out := rs.merge(rec(false, "listing_id", "7", "title", "Full title", "vendor", "v"), detail)
	if len(out) != 1 || out[0].rec.Get("price") != "1.5 XMR" || out[0].rec.Get("title") != "Full title" ||
		out[0].prov.URL != detail.URL || out[0].mergedFrom != grid.URL {
		t.Fatalf("merged = %+v", out)
	}
	// The same listing again in this run (another page or mirror): one listing.
	if out := rs.merge(rec(false, "listing_id", "7", "title", "Full title"), detail); len(out) != 0 {
		t.Errorf("duplicate full record published: %+v", out)
	}
	// A tile after its detail page that adds nothing is dropped; one that
	// shows a field the published record lacks publishes the merge again.
	if out := rs.merge(rec(true, "listing_id", "7", "price", "2 XMR"), grid); len(out) != 0 || rs.duplicates != 2 || rs.conflicts != 0 { // the repeat above and this tile
		t.Errorf("late tile adding nothing: %+v, duplicates %d, conflicts %d", out, rs.duplicates, rs.conflicts)
	}
	out = rs.merge(rec(true, "listing_id", "7", "stock", "40"), grid)
	if len(out) != 1 || out[0].rec.Get("stock") != "40" || out[0].rec.Get("title") != "Full title" || out[0].prov.URL != detail.URL || rs.remerged != 1 {
		t.Errorf("late tile adding stock: %+v", out)
	}
	// A thin vendor record first, the rich profile page later: the profile
	// wins and the merged record is published again with its page.
	thin := pipeline.Record{Type: pipeline.RecordVendor, URL: detail.URL, Fields: map[string]pipeline.Field{"handle": {Raw: "v"}, "sales": {Raw: "12"}}}
	rich := pipeline.Record{Type: pipeline.RecordVendor, URL: "http://x.onion/vendor/v", Fields: map[string]pipeline.Field{
		"handle": {Raw: "v"}, "sales": {Raw: "1234"}, "rating": {Raw: "4.9"}}}
	if out := rs.merge(thin, detail); len(out) != 1 {
		t.Fatalf("thin vendor: %+v", out)
	}
	profile := event.Provenance{URL: rich.URL}
	out = rs.merge(rich, profile)
	if len(out) != 1 || out[0].rec.Get("sales") != "1234" || out[0].prov.URL != rich.URL || out[0].mergedFrom != detail.URL {
		t.Errorf("profile after thin vendor: %+v", out)
	}
	// Two full records that disagree (sales 12 on the listing page, 1234
	// on the profile) are counted, so the run says so.
	if rs.conflicts != 1 {
		t.Errorf("conflicts = %d, want 1", rs.conflicts)
	}
	// A tile whose detail page never came is published at the end.
	rs.merge(rec(true, "listing_id", "8", "price", "3 XMR"), grid)
	if left := rs.leftovers(); len(left) != 1 || left[0].rec.Get("listing_id") != "8" {
		t.Errorf("leftovers = %+v", left)
	}
	// Records without a natural key pass through.
	if out := rs.merge(pipeline.Record{Type: "thread", Fields: map[string]pipeline.Field{}}, grid); len(out) != 1 {
		t.Errorf("keyless record = %+v", out)
	}
}
