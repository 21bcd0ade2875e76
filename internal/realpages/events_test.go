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
	// threadRecords are thread records no event is made of yet (there is
	// no normalize.Thread on this branch); the raw values are shown in the
	// reasons of what is missing.
	threadRecords []pipeline.Record
}

// captured is when each page was saved (best evidence in SOURCES.md and
// the truth files); relative dates resolve against it.
var captured = map[string]string{
	"agora":              "2015-08-26T00:00:00Z",
	"alphabay":           "2015-08-26T00:00:00Z",
	"berlusconi":         "2019-09-11T00:00:00Z",
	"drugs-and-medicine": "2019-09-11T00:00:00Z",
	"evolution":          "2015-03-01T00:00:00Z",
	"mr-nice-guy":        "2015-08-26T00:00:00Z",
	"nucleus":            "2015-07-09T00:00:00Z",
	"blackry":            "2020-04-05T00:00:00Z",
	"cypher":             "2020-09-17T00:00:00Z",
	"europa":             "2020-09-15T00:00:00Z",
	"pax-romana":         "2020-04-16T00:00:00Z",
	"square-market":      "2020-09-15T00:00:00Z",
	"yellow-brick":       "2020-09-17T00:00:00Z",
	"alphabay-forum":     "2016-11-29T14:46:00Z",
	"evolution-forums":   "2015-03-01T00:00:00Z",
	"sinisterly":         "2020-09-11T00:00:00Z",
}

// capturedAt is the capture time of a page of site.
func capturedAt(site, page string) time.Time {
	if site == "alphabay-forum" && page == "grid_2.html" {
		return time.Date(2016, 11, 22, 21, 44, 0, 0, time.UTC)
	}
	t, err := time.Parse(time.RFC3339, captured[site])
	if err != nil {
		panic(fmt.Sprintf("no capture time for %s", site))
	}
	return t
}

// extractPage extracts one saved page with its site file and normalizes the
// records.
func extractPage(l *loaded, t testEntry, site, page string) (*pageEvents, error) {
	body, err := os.ReadFile(filepath.Join(pagesDir, site, page))
	if err != nil {
		return nil, err
	}
	res, err := l.site.Extract(t.Page, t.URL, body)
	if err != nil {
		return nil, err
	}
	pe := &pageEvents{res: res}
	u, _ := url.Parse(t.URL)
	prov := event.Provenance{
		Source:        l.site.Name,
		Mirror:        u.Host,
		URL:           t.URL,
		ObservedAt:    capturedAt(site, page),
		CaptureSHA256: "realpages",
		Pipeline:      l.site.ID(),
		RunID:         "realpages",
	}
	markets := []string{l.site.Title}
	for _, rec := range res.Records {
		p := prov
		p.URL = rec.URL
		var ev any
		switch rec.Type {
		case pipeline.RecordListing:
			e := normalize.Listing(rec, p, normalize.Rates{})
			ev = &e
		case pipeline.RecordVendor:
			e := normalize.Vendor(rec, p)
			ev = &e
		case pipeline.RecordPost:
			e := normalize.Post(rec, p, markets)
			ev = &e
		case pipeline.RecordThread:
			// When normalize.Thread exists: ev = normalize.Thread(rec, p)
			// and the thread event is scored like the others.
			pe.threadRecords = append(pe.threadRecords, rec)
			continue
		default:
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
