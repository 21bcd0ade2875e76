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
}

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
	res, err := s.Extract(t.Page, t.URL, body)
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
func RunTests(s *Site) ([]Diff, error) {
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
		var b bytes.Buffer
		fmt.Fprintf(&b, "# Expected records of %s (page %s, %s) for %s.\n# Written by `counternet pipeline test --update`; check every change by hand.\n", t.File, t.Page, t.URL, s.Name)
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(expectedOf(res)); err != nil {
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
