package realpages

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/pagetext"
	"github.com/counternet/counternet/internal/pipeline"
)

// obj is an event in its JSON form: the test reads events by the field
// names they are published with, so fields the model engineer adds are
// scored as soon as they exist.
type obj = map[string]any

// pageEvents is what one page yields: the extraction result and the events
// normalization makes of its records, in page order.
type pageEvents struct {
	res      *pipeline.Result
	listings []item
	vendors  []item
	posts    []item
	threads  []item
	// captured is when the page was saved (the test's captured:).
	captured time.Time
	// threadRecords are thread records no event is made of yet (there is
	// no normalize.Thread on this branch); the raw values are shown in the
	// reasons of what is missing.
	threadRecords []pipeline.Record
}

// extractPage extracts one saved page of a test with its site file, decoded
// as the crawler decodes it (the test's content_type), and normalizes the
// records as of the test's captured time.
func extractPage(l *loaded, t pipeline.TestCase) (*pageEvents, error) {
	body, err := os.ReadFile(filepath.Join(filepath.Dir(l.file), filepath.FromSlash(t.File)))
	if err != nil {
		return nil, err
	}
	text, _, _, err := pagetext.Text(body, t.ContentType)
	if err != nil {
		return nil, err
	}
	at, err := t.CapturedAt()
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		return nil, fmt.Errorf("test %s: no captured: date (relative dates and rates need it)", t.Name)
	}
	res, err := l.site.Extract(t.Page, t.URL, text)
	if err != nil {
		return nil, err
	}
	pe := &pageEvents{res: res, captured: at}
	u, _ := url.Parse(t.URL)
	prov := event.Provenance{
		Source:        l.site.Name,
		Mirror:        u.Host,
		URL:           t.URL,
		ObservedAt:    at,
		CaptureSHA256: "realpages",
		Pipeline:      l.site.ID(),
		RunID:         "realpages",
	}
	markets := []string{l.site.Title}
	for _, rec := range res.Records {
		p := prov
		p.URL = rec.URL
		ev, _, ok := normalize.Record(rec, p, normalize.Rates{}, markets)
		if !ok {
			return nil, fmt.Errorf("record type %q", rec.Type)
		}
		m, err := asObj(ev)
		if err != nil {
			return nil, err
		}
		it := item{ev: m, rec: rec}
		switch rec.Type {
		case pipeline.RecordListing:
			pe.listings = append(pe.listings, it)
		case pipeline.RecordVendor:
			pe.vendors = append(pe.vendors, it)
		case pipeline.RecordPost:
			pe.posts = append(pe.posts, it)
		case pipeline.RecordThread:
			pe.threads = append(pe.threads, it)
		}
	}
	return pe, nil
}

// item is one event and the record it was made from.
type item struct {
	ev  obj
	rec pipeline.Record
}

// asObj is the JSON form of an event.
func asObj(ev any) (obj, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	var m obj
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}
