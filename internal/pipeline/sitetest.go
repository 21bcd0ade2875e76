package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/internal/pagetext"
)

// MaxPageFile bounds the size of a saved page or an expectation file
// RunTests reads.
const MaxPageFile = 16 << 20

// ErrNoTests marks a site file without a tests section.
var ErrNoTests = errors.New("site file has no tests")

// Diff is one difference between what a saved page yields and what its
// expectation file says. Record is the index of the record on the page, or
// -1 for the page's links.
type Diff struct {
	Test   string `json:"test"`
	Record int    `json:"record"`
	Field  string `json:"field"`
	Want   string `json:"want"`
	Got    string `json:"got"`
}

// String formats the difference on one line.
func (d Diff) String() string {
	where := "links"
	if d.Record >= 0 {
		where = "record " + strconv.Itoa(d.Record)
	}
	return fmt.Sprintf("%s: %s: %s: want %q, got %q", d.Test, where, d.Field, d.Want, d.Got)
}

// Expected is the content of an expectation file: what one saved page
// yields.
type Expected struct {
	Records []ExpectedRecord `yaml:"records"`
	// Next are the pagination links, as "kind URL".
	Next []string `yaml:"next,omitempty"`
	// Links are the followed links, as "kind URL".
	Links []string `yaml:"links,omitempty"`
}

// ExpectedRecord is one expected record: its type and raw field values.
type ExpectedRecord struct {
	Type    string            `yaml:"type"`
	Partial bool              `yaml:"partial,omitempty"`
	Fields  map[string]string `yaml:"fields"`
	// Normalized states values of the record's event, by dotted path
	// ("price.amount": "45", "price.currency": "EUR", "price_usd": "48.6",
	// "ships_to": "DE,FR", "posted_at": "2017-11-21T19:05:00Z"), and under
	// "unparsed" the fields known not to normalize on this page. Written
	// by hand; --update keeps them. Checked by a Normalizer.
	Normalized map[string]string `yaml:"normalized,omitempty"`
}

// NormDiff is one normalized value that differs from its expectation.
type NormDiff struct {
	Path, Want, Got string
}

// Normalizer checks a record's normalized values against an expectation's;
// pipeline cannot normalize (normalize builds on it), so the caller passes
// one (sitecheck.Normalizer).
type Normalizer func(tc TestCase, rec Record, want map[string]string) ([]NormDiff, error)

// expectedOf turns an extraction result into the shape of an expectation.
func expectedOf(res *Result) Expected {
	e := Expected{Records: make([]ExpectedRecord, 0, len(res.Records))}
	for _, r := range res.Records {
		er := ExpectedRecord{Type: r.Type, Partial: r.Partial, Fields: make(map[string]string, len(r.Fields))}
		for name, f := range r.Fields {
			er.Fields[name] = f.Raw
		}
		e.Records = append(e.Records, er)
	}
	for _, l := range res.Next {
		e.Next = append(e.Next, l.Page+" "+l.URL)
	}
	for _, l := range res.Links {
		e.Links = append(e.Links, l.Page+" "+l.URL)
	}
	return e
}

// testPath resolves a path of a test case against the site file's
// directory.
func (s *Site) testPath(rel string) string {
	return filepath.Join(filepath.Dir(s.File), filepath.FromSlash(rel))
}

// errTooLarge marks a file readBounded refused for its size.
var errTooLarge = errors.New("file too large")

// readBounded reads the file at path, reading no more than limit+1 bytes;
// a larger file is an error wrapping errTooLarge.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes: %w", path, limit, errTooLarge)
	}
	return data, nil
}

// runTest extracts one saved page.
func (s *Site) runTest(t TestCase) (*Result, error) {
	body, err := readBounded(s.testPath(t.File), MaxPageFile)
	if err != nil {
		return nil, fmt.Errorf("reading saved page of test %s of %s: %w", t.Name, s.ID(), err)
	}
	text, _, _, err := pagetext.Text(body, t.ContentType)
	if err != nil {
		return nil, fmt.Errorf("decoding saved page of test %s of %s: %w", t.Name, s.ID(), err)
	}
	res, err := s.Extract(t.Page, t.URL, text)
	if err != nil {
		return nil, fmt.Errorf("running test %s of %s: %w", t.Name, s.ID(), err)
	}
	return res, nil
}

// RunTests extracts every saved page of the site's tests section and
// compares the records and links with the expectation files. It returns
// every difference, in test order; an error means a test could not run
// (a missing file, an expectation that does not decode). Site files are
// found relative to Site.File, so load the site with Load.
func RunTests(s *Site) ([]Diff, error) { return RunTestsWith(s, nil) }

// RunTestsWith is RunTests that also checks the normalized values the
// expectations state with norm (nil: raw values only; stated normalized
// values are then an error, never silently unchecked).
func RunTestsWith(s *Site, norm Normalizer) ([]Diff, error) {
	if len(s.Tests) == 0 {
		return nil, fmt.Errorf("testing %s: %w", s.ID(), ErrNoTests)
	}
	var diffs []Diff
	for _, t := range s.Tests {
		res, err := s.runTest(t)
		if err != nil {
			return diffs, err
		}
		data, err := readBounded(s.testPath(t.Want), MaxPageFile)
		if err != nil {
			return diffs, fmt.Errorf("reading expectations of test %s of %s (pipeline test --update writes them): %w", t.Name, s.ID(), err)
		}
		var want Expected
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&want); err != nil && !errors.Is(err, io.EOF) {
			return diffs, fmt.Errorf("decoding expectations %s: %w", s.testPath(t.Want), err)
		}
		diffs = append(diffs, compare(t.Name, want, expectedOf(res))...)
		for i, w := range want.Records {
			if len(w.Normalized) == 0 || i >= len(res.Records) {
				continue
			}
			if norm == nil {
				return diffs, fmt.Errorf("test %s of %s states normalized values; run it with counternet pipeline test", t.Name, s.ID())
			}
			nd, err := norm(t, res.Records[i], w.Normalized)
			if err != nil {
				return diffs, fmt.Errorf("normalizing record %d of test %s of %s: %w", i, t.Name, s.ID(), err)
			}
			for _, d := range nd {
				diffs = append(diffs, Diff{Test: t.Name, Record: i, Field: "normalized." + d.Path, Want: d.Want, Got: d.Got})
			}
		}
	}
	return diffs, nil
}

// UpdateTests rewrites the expectation file of every test with what its
// saved page yields now.
func UpdateTests(s *Site) error {
	if len(s.Tests) == 0 {
		return fmt.Errorf("updating tests of %s: %w", s.ID(), ErrNoTests)
	}
	for _, t := range s.Tests {
		res, err := s.runTest(t)
		if err != nil {
			return err
		}
		exp := expectedOf(res)
		// Normalized values are an operator's statement, not output:
		// keep those the old expectations stated, record by record.
		if old, err := readBounded(s.testPath(t.Want), MaxPageFile); err == nil {
			var prev Expected
			if yaml.Unmarshal(old, &prev) == nil {
				for i := range min(len(prev.Records), len(exp.Records)) {
					exp.Records[i].Normalized = prev.Records[i].Normalized
				}
			}
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "# Expected records of %s (page %s, %s) for %s.\n# Written by `counternet pipeline test --update`; check every change by hand.\n", t.File, t.Page, t.URL, s.Name)
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(exp); err != nil {
			return fmt.Errorf("encoding expectations of test %s: %w", t.Name, err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("encoding expectations of test %s: %w", t.Name, err)
		}
		if err := os.WriteFile(s.testPath(t.Want), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing expectations of test %s: %w", t.Name, err)
		}
	}
	return nil
}

const none = "(none)"

func compare(test string, want, got Expected) []Diff {
	var out []Diff
	for i := 0; i < max(len(want.Records), len(got.Records)); i++ {
		var w, g ExpectedRecord
		if i < len(want.Records) {
			w = want.Records[i]
		}
		if i < len(got.Records) {
			g = got.Records[i]
		}
		if w.Type != g.Type {
			out = append(out, Diff{test, i, "type", orNone(w.Type, i < len(want.Records)), orNone(g.Type, i < len(got.Records))})
		}
		if w.Partial != g.Partial {
			out = append(out, Diff{test, i, "partial", strconv.FormatBool(w.Partial), strconv.FormatBool(g.Partial)})
		}
		names := map[string]bool{}
		for n := range w.Fields {
			names[n] = true
		}
		for n := range g.Fields {
			names[n] = true
		}
		for _, n := range sortedKeys(names) {
			wv, wok := w.Fields[n]
			gv, gok := g.Fields[n]
			if wv != gv || wok != gok {
				out = append(out, Diff{test, i, n, orNone(wv, wok), orNone(gv, gok)})
			}
		}
	}
	out = append(out, compareList(test, "next", want.Next, got.Next)...)
	out = append(out, compareList(test, "links", want.Links, got.Links)...)
	return out
}

func compareList(test, name string, want, got []string) []Diff {
	var out []Diff
	for i := 0; i < max(len(want), len(got)); i++ {
		var w, g string
		wok, gok := i < len(want), i < len(got)
		if wok {
			w = want[i]
		}
		if gok {
			g = got[i]
		}
		if w != g || wok != gok {
			out = append(out, Diff{test, -1, name + "[" + strconv.Itoa(i) + "]", orNone(w, wok), orNone(g, gok)})
		}
	}
	return out
}

func orNone(v string, ok bool) string {
	if !ok {
		return none
	}
	return v
}
