package pipeline_test

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/pipeline"
)

// TestSiteFiles runs the saved-page tests of every site file shipped in
// pipelines/, as `counternet pipeline test pipelines/*.yaml` does in CI.
func TestSiteFiles(t *testing.T) {
	sites, err := pipeline.LoadDir("../../pipelines")
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) < 5 {
		t.Fatalf("%d site files in pipelines/, want at least 4 markets and 1 forum", len(sites))
	}
	for _, s := range sites {
		t.Run(s.Name, func(t *testing.T) {
			diffs, err := pipeline.RunTests(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffs {
				t.Error(d)
			}
		})
	}
}

// crawl walks a fixture site in process the way a collector does: from its
// start pages, following next and follow links, extracting every page once;
// it returns the merged records and the selector health.
func crawl(t *testing.T, s *pipeline.Site, page func(target string) (int, []byte)) ([]pipeline.Record, pipeline.HealthReport) {
	t.Helper()
	starts, err := s.StartLinks(s.Mirrors[0])
	if err != nil {
		t.Fatal(err)
	}
	health := pipeline.NewHealth(s.Name)
	queue := starts
	seen := map[string]bool{}
	var records []pipeline.Record
	for len(queue) > 0 && len(seen) < s.Limits.MaxPages {
		l := queue[0]
		queue = queue[1:]
		if seen[l.URL] {
			continue
		}
		seen[l.URL] = true
		u, err := url.Parse(l.URL)
		if err != nil {
			t.Fatal(err)
		}
		status, body := page(u.RequestURI())
		if status != 200 {
			t.Fatalf("%s: status %d", l.URL, status)
		}
		res, err := s.Extract(l.Page, l.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		health.Add(l.Page, res)
		records = append(records, res.Records...)
		queue = append(queue, res.Next...)
		queue = append(queue, res.Links...)
	}
	return pipeline.Merge(records), health.Report(0.95)
}

// TestCrawlFixtureMarkets crawls every fixture market with its site file
// and checks each generated listing against the merged records.
func TestCrawlFixtureMarkets(t *testing.T) {
	w := fixture.Generate(7)
	for _, m := range w.AllMarkets() {
		t.Run(m.Name, func(t *testing.T) {
			s, err := pipeline.Load("../../pipelines/" + m.Name + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			recs, health := crawl(t, s, m.Page)
			got := map[string]pipeline.Record{}
			for _, r := range recs {
				if r.Type == pipeline.RecordListing {
					if _, dup := got[r.Get("listing_id")]; dup {
						t.Errorf("listing %s twice after Merge", r.Get("listing_id"))
					}
					got[r.Get("listing_id")] = r
				}
			}
			if len(got) != len(m.Listings) {
				t.Errorf("%d listings after Merge, fixture has %d", len(got), len(m.Listings))
			}
			for _, l := range m.Listings {
				r, ok := got[l.ID]
				if !ok {
					t.Errorf("listing %s not extracted", l.ID)
					continue
				}
				price := r.Get("price")
				amount := strconv.FormatFloat(l.Price, 'f', 2, 64)
				if l.Currency == "XMR" {
					amount = strconv.FormatFloat(l.Price, 'f', 4, 64)
				}
				if r.Partial || r.Get("title") != l.Title || r.Get("vendor") != l.Vendor || !strings.Contains(price, amount) ||
					r.Get("quantity") == "" || r.Get("ships_from") == "" || r.Get("ships_to") == "" {
					t.Errorf("listing %s: got %+v, want title %q vendor %q price %s", l.ID, r, l.Title, l.Vendor, amount)
				}
			}
			for _, warn := range health.Warnings {
				t.Errorf("selector health: %s", warn)
			}
		})
	}
}

// TestCrawlFixtureForum crawls the fixture forum and checks every post.
func TestCrawlFixtureForum(t *testing.T) {
	w := fixture.Generate(7)
	f := w.Forum(fixture.Dredge)
	s, err := pipeline.Load("../../pipelines/dredge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	recs, health := crawl(t, s, f.Page)
	posts := map[string]pipeline.Record{}
	threads := 0
	for _, r := range recs {
		switch r.Type {
		case pipeline.RecordPost:
			posts[r.Get("post_id")] = r
		case pipeline.RecordThread:
			threads++
		}
	}
	if threads != len(f.Threads) {
		t.Errorf("%d thread records, fixture has %d threads", threads, len(f.Threads))
	}
	n := 0
	for _, th := range f.Threads {
		for _, p := range th.Posts {
			n++
			r, ok := posts[p.ID]
			if !ok {
				t.Errorf("post %s of thread %s not extracted", p.ID, th.ID)
				continue
			}
			if r.Get("thread_id") != th.ID || r.Get("thread_title") != th.Title || r.Get("author") != p.Author ||
				r.Get("body") != p.Body || r.Get("subforum") != th.Subforum || r.Get("posted_at") == "" {
				t.Errorf("post %s: got %+v, want %+v", p.ID, r.Fields, p)
			}
			var vendors []string
			if v := r.Get("mentions_vendors"); v != "" {
				vendors = strings.Split(v, ", ")
			}
			slices.Sort(vendors)
			vendors = slices.Compact(vendors)
			want := slices.Sorted(slices.Values(p.Vendors))
			if !slices.Equal(vendors, want) {
				t.Errorf("post %s mentions vendors %v, want %v", p.ID, vendors, want)
			}
		}
	}
	if len(posts) != n {
		t.Errorf("%d posts extracted, fixture has %d", len(posts), n)
	}
	for _, warn := range health.Warnings {
		if !strings.Contains(warn, "mentions_vendors") {
			t.Errorf("selector health: %s", warn)
		}
	}
}
