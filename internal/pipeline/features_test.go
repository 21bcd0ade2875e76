package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const v2Site = `
version: 2
name: mini
pipeline_version: 1
kind: forum
schedule: "15 */6 * * *"
mirrors: [http://127.0.0.1:8080]
start: [{path: /t/1, page: thread}]
pages:
  grid:
    records:
      - type: listing
        item: div.tile
        partial: true
        fields:
          listing_id: {selector: a, attr: href, regex: '/l/(\d+)'}
          title: {selector: a}
          price: {selector: span.p}
  thread:
    records:
      - type: post
        item: div.post
        fields:
          post_id: {attr: data-id}
          thread_id: {from: url, regex: '/t/(?P<tid>\d+)', group: tid}
          thread_title: {selector: h1, scope: page}
          author: {selector: b}
          posted_at: {selector: i}
          body: {selector: p}
      - type: listing
        fields:
          listing_id: {from: url, regex: '/t/(\d+)'}
          ships_from: {selector: "td.route", regex: '^(.+?)\s*→\s*(.+)$', group: 1}
          ships_to: {selector: "td.route", regex: '^(.+?)\s*→\s*(.+)$', group: 2}
          title: {selector: "td.route", regex: '^(.+?)\s*→', group: 0}
`

const v2Page = `<html><body><h1>Review of <b>Vendor</b></h1>
<div class="post" data-id="11"><b>alice</b> <i>3 days ago</i><p>first post</p></div>
<div class="post" data-id="12"><b>bob</b> <i>yesterday</i><p>second</p></div>
<table><tr><td class="route">Germany → Germany, France</td></tr></table>
</body></html>`

func TestVersion2Keys(t *testing.T) {
	s, err := Parse("mini.yaml", []byte(v2Site))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	next, ok := s.NextRun(time.Date(2026, 1, 10, 7, 0, 0, 0, time.UTC))
	if !ok || !next.Equal(time.Date(2026, 1, 10, 12, 15, 0, 0, time.UTC)) {
		t.Errorf("NextRun = %v %v, want 12:15", next, ok)
	}
	res, err := s.Extract("thread", "http://127.0.0.1:8080/t/77", []byte(v2Page))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"post_id": "11", "thread_id": "77", "thread_title": "Review of Vendor", "author": "alice", "posted_at": "3 days ago", "body": "first post"},
		{"post_id": "12", "thread_id": "77", "thread_title": "Review of Vendor", "author": "bob", "posted_at": "yesterday", "body": "second"},
		{"listing_id": "77", "ships_from": "Germany", "ships_to": "Germany, France", "title": "Germany →"},
	}
	if len(res.Records) != len(want) {
		t.Fatalf("%d records, want %d: %+v", len(res.Records), len(want), res.Records)
	}
	for i, r := range res.Records {
		got := map[string]string{}
		for k, f := range r.Fields {
			got[k] = f.Raw
		}
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("record %d = %v, want %v", i, got, want[i])
		}
	}
	if p := res.Records[0].Fields["posted_at"].Parser; p != ParserDate {
		t.Errorf("posted_at parser %q, want date", p)
	}
	if _, ok := (&Site{}).NextRun(time.Now()); ok {
		t.Error("a site without a schedule has a next run")
	}
}

func TestVersion1StillLoads(t *testing.T) {
	if _, err := Load("testdata/nebula.good.yaml"); err != nil {
		t.Fatalf("version 1 file: %v", err)
	}
}

func rec(typ, key string, partial bool, kv ...string) Record {
	r := Record{Type: typ, Partial: partial, URL: "u-" + key, Fields: map[string]Field{NaturalKey(typ): {Raw: key}}}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Fields[kv[i]] = Field{Raw: kv[i+1]}
	}
	return r
}

func TestMerge(t *testing.T) {
	grid1 := rec(RecordListing, "1", true, "title", "Short…", "price", "0.5 XMR")
	grid2 := rec(RecordListing, "2", true, "title", "Two", "price", "1 XMR")
	page1 := rec(RecordListing, "1", false, "title", "Short title in full", "vendor", "v")
	page1.URL = "product-1"
	vendor := rec(RecordVendor, "v", false, "sales", "5")
	again := rec(RecordListing, "1", true, "title", "Other", "escrow", "yes")
	noKey := Record{Type: RecordListing, Fields: map[string]Field{"title": {Raw: "x"}}}
	in := []Record{grid1, vendor, grid2, page1, again, noKey}
	got := Merge(in)
	want := []Record{
		{Type: RecordListing, URL: "product-1", Fields: map[string]Field{
			"listing_id": {Raw: "1"}, "title": {Raw: "Short title in full"}, "price": {Raw: "0.5 XMR"}, "vendor": {Raw: "v"}, "escrow": {Raw: "yes"}}},
		vendor,
		grid2,
		noKey,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Merge =\n%+v\nwant\n%+v", got, want)
	}
	if grid1.Fields["title"].Raw != "Short…" || len(grid1.Fields) != 3 {
		t.Errorf("Merge changed its input: %+v", grid1)
	}
	// A full record first: a later partial one only adds fields.
	got = Merge([]Record{page1, grid1})
	if len(got) != 1 || got[0].Get("title") != "Short title in full" || got[0].Get("price") != "0.5 XMR" || got[0].Partial {
		t.Errorf("Merge(full, partial) = %+v", got)
	}
	if got := Merge(nil); len(got) != 0 {
		t.Errorf("Merge(nil) = %v", got)
	}
}

func TestHealth(t *testing.T) {
	h := NewHealth("mini")
	page := func(priceMatched int) *Result {
		return &Result{Stats: []FieldStat{
			{Record: RecordListing, Items: 1, Matched: 1},
			{Record: RecordListing, Field: "title", Items: 3, Matched: 3},
			{Record: RecordListing, Field: "price", Items: 3, Matched: priceMatched},
		}}
	}
	h.Add("grid", page(3))
	h.Add("grid", page(0))
	h.Add("grid", page(1))
	h.Add("grid", page(0))
	h.Add("grid", &Result{Stats: []FieldStat{{Record: RecordListing, Items: 1, Matched: 0}, {Record: RecordListing, Field: "title", Items: 0}}})
	h.Add("grid", nil)
	rep := h.Report(0.8)
	want := []FieldHealth{
		{Page: "grid", Record: RecordListing, Pages: 5, Matched: 4, Share: 0.8},
		{Page: "grid", Record: RecordListing, Field: "price", Pages: 4, Matched: 2, Share: 0.5},
		{Page: "grid", Record: RecordListing, Field: "title", Pages: 4, Matched: 4, Share: 1},
	}
	if !reflect.DeepEqual(rep.Fields, want) {
		t.Errorf("Fields = %+v, want %+v", rep.Fields, want)
	}
	if len(rep.Warnings) != 1 || rep.Warnings[0] != "mini: listing.price on grid pages matched on 2 of 4 pages (50%), below 80%" {
		t.Errorf("Warnings = %q", rep.Warnings)
	}
}

func TestExtractStats(t *testing.T) {
	s, err := Parse("mini.yaml", []byte(v2Site))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Extract("grid", "http://127.0.0.1:8080/", []byte(`<div class="tile"><a href="/l/1">One</a></div><div class="tile"><a href="/l/2">Two</a><span class="p">1 XMR</span></div>`))
	if err != nil {
		t.Fatal(err)
	}
	want := []FieldStat{
		{Record: RecordListing, Items: 1, Matched: 1},
		{Record: RecordListing, Field: "listing_id", Items: 2, Matched: 2},
		{Record: RecordListing, Field: "price", Items: 2, Matched: 1},
		{Record: RecordListing, Field: "title", Items: 2, Matched: 2},
	}
	if !reflect.DeepEqual(res.Stats, want) {
		t.Errorf("Stats = %+v, want %+v", res.Stats, want)
	}
	if len(res.Records) != 2 || !res.Records[0].Partial || res.Records[0].URL != "http://127.0.0.1:8080/" {
		t.Errorf("records = %+v", res.Records)
	}
}

// TestRunTestsReportsDiffs copies a site file with its saved pages, breaks
// the expectations and checks the differences RunTests reports; then
// UpdateTests makes them pass again.
func TestRunTestsReportsDiffs(t *testing.T) {
	dir := t.TempDir()
	copyFile := func(rel string) {
		data, err := os.ReadFile(filepath.Join("../../pipelines", rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("whitehall.yaml")
	for _, f := range []string{"index", "listing", "vendor"} {
		copyFile("testdata/whitehall/" + f + ".html")
		copyFile("testdata/whitehall/" + f + ".want.yaml")
	}
	wantFile := filepath.Join(dir, "testdata/whitehall/vendor.want.yaml")
	data, err := os.ReadFile(wantFile)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), `sales: "28"`, `sales: "29"`, 1)
	broken = strings.Replace(broken, "      ships_from: United States of America\n", "", 1)
	broken += "next:\n  - vendor http://example.org/\n"
	if err := os.WriteFile(wantFile, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(filepath.Join(dir, "whitehall.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := RunTests(s)
	if err != nil {
		t.Fatal(err)
	}
	want := []Diff{
		{Test: "vendor", Record: 0, Field: "sales", Want: "29", Got: "28"},
		{Test: "vendor", Record: 0, Field: "ships_from", Want: "(none)", Got: "United States of America"},
		{Test: "vendor", Record: -1, Field: "next[0]", Want: "vendor http://example.org/", Got: "(none)"},
	}
	if !reflect.DeepEqual(diffs, want) {
		t.Errorf("diffs =\n%v\nwant\n%v", diffs, want)
	}
	if got := want[0].String(); got != `vendor: record 0: sales: want "29", got "28"` {
		t.Errorf("Diff.String() = %s", got)
	}
	if err := UpdateTests(s); err != nil {
		t.Fatal(err)
	}
	if diffs, err := RunTests(s); err != nil || len(diffs) != 0 {
		t.Errorf("after UpdateTests: %v %v", diffs, err)
	}
	if err := os.Remove(wantFile); err != nil {
		t.Fatal(err)
	}
	if _, err := RunTests(s); err == nil || !strings.Contains(err.Error(), "--update") {
		t.Errorf("missing expectations: err = %v", err)
	}
	s.Tests = nil
	if _, err := RunTests(s); err == nil {
		t.Error("RunTests without tests succeeded")
	}
}

// A thin vendor record from a listing page must not push out the richer
// record of the vendor's profile page, whichever comes first; each only adds
// what the other lacks.
func TestMergeRichestFirst(t *testing.T) {
	thin := rec(RecordVendor, "v", false, "sales", "12")
	thin.URL = "listing-page"
	rich := rec(RecordVendor, "v", false, "sales", "1234", "rating", "4.9", "joined", "2019-04-02 18:48:33")
	rich.URL = "profile-page"
	thin.Fields["contacts"] = Field{Raw: "tg @v"}
	rich.Fields["pgp_fingerprint"] = Field{Raw: "AAAA"}
	for _, in := range [][]Record{{thin, rich}, {rich, thin}} {
		got := Merge(in)
		if len(got) != 1 {
			t.Fatalf("Merge = %d records", len(got))
		}
		m := got[0]
		if m.URL != "profile-page" || m.Get("sales") != "1234" || m.Get("rating") != "4.9" || m.Get("contacts") != "tg @v" || m.Get("pgp_fingerprint") != "AAAA" {
			t.Errorf("Merge(%s first) = %+v", in[0].URL, m)
		}
	}
	if !Adds(thin, rich) || Adds(rich, rec(RecordVendor, "v", false, "sales", "9")) {
		t.Error("Adds: a richer record adds; a thinner one with a conflicting value does not")
	}
}
