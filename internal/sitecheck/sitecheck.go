// Package sitecheck shows an operator what a saved page becomes: the
// records a site file extracts (package pipeline) turned into the events
// the collector would publish (package normalize), with every value that
// did not normalize and why. `counternet pipeline extract --normalized` and
// `counternet pipeline test` use it; it imports both steps and is used by
// neither, so the flow stays one-directional.
package sitecheck

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/pipeline"
)

// Options are what normalization needs beside the record.
type Options struct {
	// Rates converts prices to US dollars (the config's fx section).
	Rates normalize.Rates
	// Markets are names searched for in forum posts.
	Markets []string
	// Captured is when the page was fetched: relative dates and the
	// validity of exchange rates are read against it. Zero means now.
	Captured time.Time
}

// Event is one normalized record with the values that did not normalize.
type Event struct {
	// Type is the record type (listing, vendor, post, thread).
	Type string `json:"type"`
	// Event is the event the collector would publish.
	Event any `json:"event"`
	// Unparsed explains each field whose raw text was not understood:
	// "price: \"ask me\" (parser money) not understood".
	Unparsed []string `json:"unparsed,omitempty"`
}

// Normalize turns one extracted record into its event, as the collector
// does. prov gives the page's provenance (URL, source, pipeline).
func Normalize(rec pipeline.Record, prov event.Provenance, o Options) (Event, error) {
	if prov.ObservedAt.IsZero() {
		prov.ObservedAt = o.Captured
	}
	if prov.ObservedAt.IsZero() {
		prov.ObservedAt = time.Now().UTC()
	}
	ev, flags, ok := normalize.Record(rec, prov, o.Rates, o.Markets)
	if !ok {
		return Event{}, fmt.Errorf("record type %q has no event", rec.Type)
	}
	return Event{Type: rec.Type, Event: ev, Unparsed: unparsed(rec, *flags)}, nil
}

// unparsed names every flag that says a field's raw text was not
// understood (a flag that is a field name, or "field:reason" for a field
// the record has), with the raw text and parser.
func unparsed(rec pipeline.Record, flags []string) []string {
	var out []string
	for _, fl := range flags {
		name, reason, _ := strings.Cut(fl, ":")
		f, ok := rec.Fields[name]
		if !ok {
			continue
		}
		switch reason {
		case "", "unparsed", "invalid", "unknown":
		default:
			continue // informational: truncated, worldwide, per_unit ...
		}
		parser := f.Parser
		if parser == "" {
			parser = pipeline.ParserText
		}
		out = append(out, fmt.Sprintf("%s: %q (parser %s) not understood", name, event.Cut(f.Raw, 200), parser))
	}
	return out
}

// Values flattens an event into dotted paths and strings, the form a
// saved-page expectation states normalized values in: "price.amount": "45",
// "ships_to": "DE,FR" (a list of plain values joined by commas),
// "crypto_addresses.0.address": "bc1...". Zero values are left out.
func Values(ev any) (map[string]string, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encoding event: %w", err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("decoding event: %w", err)
	}
	out := map[string]string{}
	flatten("", v, out)
	return out, nil
}

func flatten(prefix string, v any, out map[string]string) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			flatten(join(k), e, out)
		}
	case []any:
		scalars := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := scalar(e); ok {
				scalars = append(scalars, s)
			}
		}
		if len(scalars) == len(x) {
			if len(x) > 0 {
				out[prefix] = strings.Join(scalars, ",")
			}
			return
		}
		for i, e := range x {
			flatten(join(strconv.Itoa(i)), e, out)
		}
	default:
		if s, ok := scalar(x); ok && s != "" && s != "0" && s != "false" {
			out[prefix] = s
		}
	}
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case nil:
		return "", true
	}
	return "", false
}

// Compare checks the normalized values an expectation states against an
// event's, and reports every field that did not normalize unless the
// expectation lists it under "unparsed": an unparsed value is a failure,
// not silence. Diffs name the path, the wanted and the found value.
func Compare(want map[string]string, ev Event) ([]pipeline.NormDiff, error) {
	got, err := Values(ev.Event)
	if err != nil {
		return nil, err
	}
	var out []pipeline.NormDiff
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	allowed := map[string]bool{}
	for k := range strings.SplitSeq(want[unparsedKey], ",") {
		if k = strings.TrimSpace(k); k != "" {
			allowed[k] = true
		}
	}
	for _, k := range keys {
		if k == unparsedKey {
			continue
		}
		g, ok := got[k]
		if !ok {
			g = "(none)"
		}
		if g != want[k] {
			out = append(out, pipeline.NormDiff{Path: k, Want: want[k], Got: g})
		}
	}
	for _, u := range ev.Unparsed {
		name, _, _ := strings.Cut(u, ":")
		if !allowed[name] {
			out = append(out, pipeline.NormDiff{Path: "unparsed", Want: "(none)", Got: u})
		}
	}
	slices.SortStableFunc(out, func(a, b pipeline.NormDiff) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// unparsedKey lists, in an expectation's normalized values, the fields
// known not to normalize on that page (comma-separated).
const unparsedKey = "unparsed"

// Normalizer returns the pipeline.Normalizer `pipeline test` uses to check
// normalized expectations.
func Normalizer(site *pipeline.Site, o Options) pipeline.Normalizer {
	return func(tc pipeline.TestCase, rec pipeline.Record, want map[string]string) ([]pipeline.NormDiff, error) {
		opts := o
		if t, err := tc.CapturedAt(); err != nil {
			return nil, err
		} else if !t.IsZero() {
			opts.Captured = t
		}
		prov := event.Provenance{Source: site.Name, URL: rec.URL, Pipeline: site.ID(), Mirror: hostOf(rec.URL)}
		ev, err := Normalize(rec, prov, opts)
		if err != nil {
			return nil, err
		}
		return Compare(want, ev)
	}
}

func hostOf(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}
