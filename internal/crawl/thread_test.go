package crawl

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/pipelines"
)

// TestThreadRecordsBecomeEvents: the thread rows of a forum board page
// (dredge's saved subforum page) become thread events with their board,
// encoded for intel.v1.thread.<source>, that decode and pass the loader's
// check; before, thread records yielded nothing.
func TestThreadRecordsBecomeEvents(t *testing.T) {
	data, err := pipelines.Files.ReadFile("dredge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	site, err := pipeline.Parse("dredge.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile("../../pipelines/testdata/dredge/subforum.html")
	if err != nil {
		t.Fatal(err)
	}
	const pageURL = "http://cgvidqbwpbidiijdbeplzp5ponsmzfrrc322tk5zzaam6qlhy5k3rzad.onion/d/VendorReviews?p=1"
	out, err := site.Extract("subforum", pageURL, page)
	if err != nil {
		t.Fatal(err)
	}
	prov := event.Provenance{Source: site.Name, URL: pageURL, ObservedAt: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC),
		CaptureSHA256: strings.Repeat("0f", 32), Pipeline: site.ID(), RunID: "r1"}
	var res pageResult
	n := 0
	for _, r := range out.Records {
		ev := res.normalize(pending{rec: r, prov: prov}, Deps{}, "")
		th, ok := ev.(*event.Thread)
		if !ok {
			t.Fatalf("thread record normalized to %T", ev)
		}
		m, err := message(th)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != event.Subject(event.TypeThread, site.Name) {
			t.Errorf("subject %q", m.Subject)
		}
		d, err := event.Decode(m.Data)
		if err != nil || d.Thread == nil {
			t.Fatalf("decoding %s: %v", m.Data, err)
		}
		if err := event.Check(m.Subject, d); err != nil {
			t.Error(err)
		}
		if d.Thread.Title == "" || d.Thread.Board == "" || d.Thread.Author == "" || d.Thread.Replies == nil ||
			d.Thread.LastPostAt.IsZero() || len(d.Thread.Flags) != 0 {
			t.Errorf("thread %+v", d.Thread)
		}
		n++
	}
	if n < 10 {
		t.Errorf("%d thread events from a board page of 15 threads", n)
	}
}
