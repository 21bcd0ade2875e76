package normalize

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/normalize/fieldsamples"
	"github.com/counternet/counternet/internal/pipeline"
)

// fieldSample is one entry of testdata/fields.json.
type fieldSample = fieldsamples.Sample

func loadFieldSamples(t *testing.T) map[string]map[string]fieldSample {
	t.Helper()
	out, err := fieldsamples.Load("testdata/fields.json")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// normalizeAny normalizes a record of any type and returns its event as
// JSON fields, without the event id, and its flags.
func normalizeAny(t *testing.T, r pipeline.Record) (map[string]any, []string) {
	m, flags, err := normalizeRecord(t, r)
	if err != nil {
		t.Errorf("%v", err)
	}
	return m, flags
}

// normalizeRecord is normalizeAny that returns the event's validation
// error.
func normalizeRecord(t *testing.T, r pipeline.Record) (map[string]any, []string, error) {
	t.Helper()
	var (
		ev    any
		flags []string
		verr  error
	)
	switch r.Type {
	case pipeline.RecordListing:
		l := Listing(r, prov, Rates{})
		ev, flags = &l, l.Flags
		verr = l.Validate()
	case pipeline.RecordVendor:
		v := Vendor(r, prov)
		ev, flags = &v, v.Flags
		verr = v.Validate()
	case pipeline.RecordPost:
		p := Post(r, prov, nil)
		ev, flags = &p, p.Flags
		verr = p.Validate()
	case pipeline.RecordThread:
		th := Thread(r, prov)
		ev, flags = &th, th.Flags
		verr = th.Validate()
	default:
		t.Fatalf("record type %q has no event", r.Type)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "event_id")
	delete(m, "flags")
	return m, flags, verr
}

// TestEveryFieldReachesTheEvent enumerates every field a site file may set
// for every record type (pipeline.Fields, and attributes.<key> with every
// attribute parser) and checks that a value set in a record changes the
// event and is not flagged as unread: no accepted field is dropped
// silently. A field added to the validator's list without a sample in
// testdata/fields.json fails here too.
func TestEveryFieldReachesTheEvent(t *testing.T) {
	samples := loadFieldSamples(t)
	for _, typ := range pipeline.RecordTypes() {
		key := pipeline.NaturalKey(typ)
		names := pipeline.Fields(typ)
		for name := range samples["*"] {
			names = append(names, name)
		}
		for name := range samples[typ] {
			if _, ok := pipeline.ParsersFor(typ, name); !ok {
				t.Errorf("%s.%s has a sample but is not a field the validator accepts", typ, name)
			}
		}
		for _, name := range names {
			s, ok := samples[typ][name]
			if !ok {
				s, ok = samples["*"][name]
			}
			if !ok {
				t.Errorf("%s.%s: no sample value in testdata/fields.json", typ, name)
				continue
			}
			if s.File != "" {
				data, err := os.ReadFile(filepath.Join("testdata", s.File))
				if err != nil {
					t.Fatal(err)
				}
				s.Raw = string(data)
			}
			base := pipeline.Record{Type: typ, Fields: map[string]pipeline.Field{}}
			if name != key {
				base.Fields[key] = pipeline.Field{Raw: "key-1"}
			}
			for k, v := range s.With {
				base.Fields[k] = pipeline.Field{Raw: v}
			}
			with := pipeline.Record{Type: typ, Fields: map[string]pipeline.Field{name: {Raw: s.Raw, Parser: s.Parser}}}
			for k, v := range base.Fields {
				with.Fields[k] = v
			}
			before, _, _ := normalizeRecord(t, base) // without its key when name is the key
			after, flags := normalizeAny(t, with)
			if reflect.DeepEqual(before, after) {
				t.Errorf("%s.%s = %q: the event did not change", typ, name, cutSample(s.Raw))
			}
			for _, f := range flags {
				if f == name || strings.HasPrefix(f, name+":") && !strings.HasSuffix(f, ":worldwide") && !strings.HasSuffix(f, ":except") {
					t.Errorf("%s.%s = %q: flagged %q", typ, name, cutSample(s.Raw), f)
				}
			}
			if strings.HasPrefix(name, pipeline.AttributePrefix) {
				checkAttribute(t, typ, name, s, after)
			}
		}
	}
}

// checkAttribute checks an attributes.<key> value arrives typed as its
// parser says.
func checkAttribute(t *testing.T, typ, name string, s fieldSample, ev map[string]any) {
	t.Helper()
	key, _ := pipeline.AttributeKey(name)
	attrs, _ := ev["attributes"].([]any)
	i := slices.IndexFunc(attrs, func(a any) bool { return a.(map[string]any)["key"] == key })
	if i < 0 {
		t.Errorf("%s.%s: no attribute %q in %v", typ, name, key, attrs)
		return
	}
	a := attrs[i].(map[string]any)
	if a["type"] != s.Parser || a["value"] == "" {
		t.Errorf("%s.%s = %q: attribute %v, want type %s", typ, name, s.Raw, a, s.Parser)
	}
}

func cutSample(s string) string { return event.Cut(s, 40) }

// FuzzRecordsValidate: whatever text a page puts in the fields, the events
// normalization builds pass their own validation (bounded text, codes,
// bases parallel to destinations, known enumerations), so the loader never
// rejects what the collector produced.
func FuzzRecordsValidate(f *testing.F) {
	f.Add("50.00 - 39000.00 EUR", "Worldwide except AU, SE", "European Union", "Dream 3700 deals, 4.82/5", "2019-04-02T01:30:00+03:00", "Telegram: @abcde")
	f.Add("฿0.0021", "Domestic Shipping Only", "Digital / Service", "98.5%", "Вчера, 12:30", "wickr: x\nicq 123456")
	f.Add("", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, a, b, c, d, e, g string) {
		for _, typ := range pipeline.RecordTypes() {
			r := pipeline.Record{Type: typ, Fields: map[string]pipeline.Field{pipeline.NaturalKey(typ): {Raw: "k" + a}}}
			vals := []string{a, b, c, d, e, g}
			for i, name := range pipeline.Fields(typ) {
				if name != pipeline.NaturalKey(typ) {
					r.Fields[name] = pipeline.Field{Raw: vals[i%len(vals)]}
				}
			}
			r.Fields["attributes.x"] = pipeline.Field{Raw: d, Parser: pipeline.AttributeParsers[len(a)%len(pipeline.AttributeParsers)]}
			if _, _, err := normalizeRecord(t, r); err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
		}
	})
}
