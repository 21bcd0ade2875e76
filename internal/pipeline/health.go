package pipeline

import (
	"fmt"
	"sort"
	"sync"
)

// Health adds up, for one source over one run, how often each field's
// selector matched: per page kind, record type and field, the share of pages
// (that had items) where the selector matched at least once. A layout change
// shows as a share falling towards zero. Add is safe for concurrent use.
type Health struct {
	source string

	mu    sync.Mutex
	stats map[healthKey]*healthCount
}

type healthKey struct{ page, record, field string }

type healthCount struct{ pages, matched int }

// FieldHealth is the health of one field (Field "" is the item selector).
type FieldHealth struct {
	Page    string  `json:"page"`
	Record  string  `json:"record"`
	Field   string  `json:"field,omitempty"`
	Pages   int     `json:"pages"`   // pages of this kind where the field was looked for
	Matched int     `json:"matched"` // of those, pages where its selector matched
	Share   float64 `json:"share"`   // Matched / Pages
}

// HealthReport is what Report returns: every field's health, and a warning
// for each field whose share is below the threshold.
type HealthReport struct {
	Source   string        `json:"source"`
	Fields   []FieldHealth `json:"fields"`
	Warnings []string      `json:"warnings,omitempty"`
}

// NewHealth returns an empty accumulator for source.
func NewHealth(source string) *Health {
	return &Health{source: source, stats: map[healthKey]*healthCount{}}
}

// Add counts one extracted page of kind pageKind.
func (h *Health) Add(pageKind string, res *Result) {
	if res == nil {
		return
	}
	// Several record rules of one type add up within the page first.
	type sum struct{ items, matched int }
	page := map[healthKey]sum{}
	for _, st := range res.Stats {
		k := healthKey{pageKind, st.Record, st.Field}
		s := page[k]
		s.items += st.Items
		s.matched += st.Matched
		page[k] = s
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, s := range page {
		if s.items == 0 {
			continue
		}
		c := h.stats[k]
		if c == nil {
			c = &healthCount{}
			h.stats[k] = c
		}
		c.pages++
		if s.matched > 0 {
			c.matched++
		}
	}
}

// Report returns every field's health, ordered by page kind, record type
// and field, and a warning for each share below threshold (0.8 means a
// selector must match on 80% of the pages).
func (h *Health) Report(threshold float64) HealthReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	rep := HealthReport{Source: h.source, Fields: make([]FieldHealth, 0, len(h.stats))}
	for k, c := range h.stats {
		rep.Fields = append(rep.Fields, FieldHealth{
			Page: k.page, Record: k.record, Field: k.field,
			Pages: c.pages, Matched: c.matched, Share: float64(c.matched) / float64(c.pages),
		})
	}
	sort.Slice(rep.Fields, func(i, j int) bool {
		a, b := rep.Fields[i], rep.Fields[j]
		if a.Page != b.Page {
			return a.Page < b.Page
		}
		if a.Record != b.Record {
			return a.Record < b.Record
		}
		return a.Field < b.Field
	})
	for _, f := range rep.Fields {
		if f.Share < threshold {
			what := f.Record + "." + f.Field
			if f.Field == "" {
				what = f.Record + " item selector"
			}
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: %s on %s pages matched on %d of %d pages (%.0f%%), below %.0f%%",
				h.source, what, f.Page, f.Matched, f.Pages, 100*f.Share, 100*threshold))
		}
	}
	return rep
}
