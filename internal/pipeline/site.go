// Package pipeline loads site files (pipelines/*.yaml), validates and
// compiles them, and extracts records and links from fetched pages.
//
// A site file says where a market or forum is, where a crawl starts, which
// kinds of page it has, how to get from one page to the next and which
// records each kind of page holds, field by field, with CSS selectors and
// named parsers; docs/site-files.md is the format. Loading is strict: an
// unknown key, a selector that does not compile or a reference to a page
// kind that does not exist is an error naming the file, line and field, and
// every such error is reported at once.
//
// Extraction (Site.Extract) is a pure function of a compiled site file and
// the bytes of one page: no HTTP, no bus, no logging.
package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// Site-file format versions. Version 1 files still load unchanged; the keys
// added in version 2 (schedule, tests, scope, group, partial, the post and
// thread record types and their fields) are errors in a version 1 file.
const (
	FormatVersion1 = 1
	FormatVersion2 = 2
	// FormatVersion is the newest format version this build reads.
	FormatVersion = FormatVersion2
)

// Site kinds.
const (
	KindMarket = "market"
	KindForum  = "forum"
)

// Record types a site file can extract.
const (
	RecordListing = "listing"
	RecordVendor  = "vendor"
	RecordPost    = "post"
	RecordThread  = "thread"
)

// Defaults applied before decoding; a site file overrides them.
const (
	DefaultMaxPages    = 1000
	DefaultDelay       = time.Second
	DefaultConcurrency = 1
)

// MaxFileSize bounds the size of a site file Load reads.
const MaxFileSize = 1 << 20

// Site is one decoded, validated and compiled site file. Load and Parse
// return it; its selectors and regular expressions are compiled, so Extract
// can be called concurrently.
type Site struct {
	// Version is the format version: FormatVersion1 or FormatVersion2.
	Version int `yaml:"version"`
	// Name is the source id, used in subjects and tables.
	Name string `yaml:"name"`
	// PipelineVersion is bumped whenever selectors change.
	PipelineVersion int `yaml:"pipeline_version"`
	// Kind is KindMarket or KindForum.
	Kind string `yaml:"kind"`
	// Title is the display name; it defaults to Name.
	Title string `yaml:"title"`
	// Mirrors are base URLs, tried in order.
	Mirrors []string `yaml:"mirrors"`
	// Archived marks a market or forum that is gone, kept for its saved
	// pages (tests) and as a record of where it was: its mirrors may be
	// version 2 onion addresses, and it is never collected.
	Archived bool `yaml:"archived"`
	// KeepImages keeps the bytes of the listing photos the site shows in
	// the evidence store (docs/images.md). Without it only their hashes are
	// kept; a blocklisted photo is never kept.
	KeepImages bool `yaml:"keep_images"`
	// Start lists where a crawl begins.
	Start []Start `yaml:"start"`
	// Limits bound one run.
	Limits Limits `yaml:"limits"`
	// Politeness sets the pace of requests to this site.
	Politeness Politeness `yaml:"politeness"`
	// Schedule is when the site is collected, as a cron expression
	// ("0 */6 * * *", "@daily"); empty means only on demand. Version 2.
	Schedule string `yaml:"schedule"`
	// Locale says how the site writes dates: day/month order and the time
	// zone of times shown without one. Version 2.
	Locale Locale `yaml:"locale"`
	// Pages are the page kinds, by name.
	Pages map[string]*Page `yaml:"pages"`
	// Tests are saved pages with their expected records (RunTests).
	// Version 2.
	Tests []TestCase `yaml:"tests"`

	// File is the name the site was loaded from (not part of the YAML).
	File string `yaml:"-"`

	compiled bool
	nameLine int
	sched    cron.Schedule
}

// Locale is how a site writes dates and times.
type Locale struct {
	// DateOrder is the order of numeric dates: "DMY" (21/11/2017), "MDY"
	// (11/21/2017) or "YMD"; empty means day/month order is decided only
	// where it is unambiguous.
	DateOrder string `yaml:"date_order" json:"date_order,omitempty"`
	// TimeZone is the zone of times the site shows without one: an IANA
	// name ("Europe/Moscow") or an offset ("+03:00"); empty means UTC.
	TimeZone string `yaml:"time_zone" json:"time_zone,omitempty"`
}

// Location is the locale's time zone: "" (UTC), an IANA name
// ("Europe/Moscow") or an offset ("+03:00", "UTC+3", "-0500"). "Local"
// (the host's zone) is refused: a site's zone does not depend on the host.
// Validation and normalization both read zones through it.
func (l Locale) Location() (*time.Location, error) {
	tz := strings.TrimSpace(l.TimeZone)
	if tz == "" || strings.EqualFold(tz, "UTC") || strings.EqualFold(tz, "GMT") {
		return time.UTC, nil
	}
	if m := offsetRE.FindStringSubmatch(tz); m != nil {
		h, _ := strconv.Atoi(m[2])
		mins, _ := strconv.Atoi(m[3])
		if h > 14 || mins > 59 {
			return nil, fmt.Errorf("time zone offset %q out of range", tz)
		}
		off := h*3600 + mins*60
		if m[1] == "-" {
			off = -off
		}
		return time.FixedZone(tz, off), nil
	}
	if len(tz) > 64 || strings.Contains(tz, "..") || strings.EqualFold(tz, "local") {
		return nil, fmt.Errorf("time zone %q is not an IANA name or an offset", tz)
	}
	return time.LoadLocation(tz)
}

var offsetRE = regexp.MustCompile(`(?i)^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$`)

// TestCase is one saved page of a site and where its expected records are.
type TestCase struct {
	// Name names the test; unique within the site file.
	Name string `yaml:"name"`
	// File is the saved page, relative to the site file's directory.
	File string `yaml:"file"`
	// Page is the kind of page it is.
	Page string `yaml:"page"`
	// URL is the address the page was fetched from; links resolve against it.
	URL string `yaml:"url"`
	// Want is the file of expected records, relative to the site file's
	// directory; it defaults to File with ".html" replaced by ".want.yaml".
	Want string `yaml:"want"`
	// ContentType is the Content-Type header the page came with
	// ("text/html; charset=ISO-8859-1"): the page is decoded as the
	// crawler would decode it (package pagetext). Empty: no header.
	ContentType string `yaml:"content_type"`
	// Captured is when the page was fetched (RFC 3339 or YYYY-MM-DD):
	// relative dates and exchange rates in normalized expectations are
	// read against it.
	Captured string `yaml:"captured"`
}

// CapturedAt is the test's capture time; zero when none is given.
func (t TestCase) CapturedAt() (time.Time, error) {
	if t.Captured == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if v, err := time.Parse(layout, t.Captured); err == nil {
			return v.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("test %s: captured %q: want RFC 3339 (2020-09-17T12:00:00Z) or YYYY-MM-DD", t.Name, t.Captured)
}

// Start is one place a crawl begins: a path (or absolute URL on a mirror)
// and the kind of page found there.
type Start struct {
	Path string `yaml:"path"`
	Page string `yaml:"page"`
}

// Limits bound one crawl run of a site.
type Limits struct {
	// MaxPages is the most pages one run fetches.
	MaxPages int `yaml:"max_pages"`
}

// Politeness sets how hard a site is hit.
type Politeness struct {
	// Delay is the minimum gap between requests to the site.
	Delay Duration `yaml:"delay"`
	// Concurrency is the number of requests in flight at once.
	Concurrency int `yaml:"concurrency"`
}

// Duration is a time.Duration written as a Go duration string ("200ms",
// "2s") in a site file.
type Duration time.Duration

// UnmarshalYAML decodes a duration string, reporting a malformed one with
// its line.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a duration such as 200ms or 2s", n.Line)}}
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: invalid duration %q: want a number with a unit such as 200ms or 2s", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// Page is one kind of page: how to find the next page of the same kind,
// which links lead to other kinds, and which records it holds.
type Page struct {
	// Next finds the next page of the same kind (pagination); optional.
	Next *LinkRule `yaml:"next"`
	// Follow finds links to other pages, each with the kind it leads to.
	Follow []LinkRule `yaml:"follow"`
	// Records says which records the page holds.
	Records []RecordRule `yaml:"records"`
}

// LinkRule finds links on a page.
type LinkRule struct {
	// Selector matches the link elements.
	Selector string `yaml:"selector"`
	// Attr is the attribute holding the URL; it defaults to href.
	Attr string `yaml:"attr"`
	// Page is the kind of page the link leads to; for Next it defaults to
	// the kind of the page itself.
	Page string `yaml:"page"`

	sel *matcher
}

// RecordRule says how to extract records of one type from a page.
type RecordRule struct {
	// Type is RecordListing, RecordVendor, RecordPost or RecordThread.
	Type string `yaml:"type"`
	// Item matches the elements that are each one record; empty means the
	// whole page is one record.
	Item string `yaml:"item"`
	// Partial marks records that show only some fields of what another
	// page shows in full (grid tiles of a listing): Merge lets the full
	// record win on conflicts. Version 2.
	Partial bool `yaml:"partial"`
	// Fields are the record's fields by name.
	Fields map[string]*FieldRule `yaml:"fields"`

	item  *matcher
	names []string     // field names, sorted
	rules []*FieldRule // the rules of names, in their order
	// shared is, per rule, the first rule with the same selector (a link's
	// text and its href), whose first match in an item is found once for
	// both; -1 when no other rule has the selector.
	shared []int
}

// FieldRule says how to extract one field of a record; the field rules in
// docs/site-files.md.
type FieldRule struct {
	// Selector is relative to the item; empty means the item itself.
	Selector string `yaml:"selector"`
	// Attr takes this attribute instead of the text; "html" takes the
	// inner HTML.
	Attr string `yaml:"attr"`
	// From "url" takes the page URL instead of a selector match.
	From string `yaml:"from"`
	// Regex keeps the first capture group of the first match (or the whole
	// match when it has no group).
	Regex string `yaml:"regex"`
	// Group picks another capture group of Regex: a number (0 is the whole
	// match) or the name of a named group. Version 2.
	Group string `yaml:"group"`
	// Scope "page" takes Selector from the whole page instead of the item
	// (thread fields on every post of a thread page). Version 2.
	Scope string `yaml:"scope"`
	// Join, when set, joins all matches with this separator; otherwise
	// only the first match is used.
	Join *string `yaml:"join"`
	// Parser names the parser normalization applies; empty means the
	// field's default (see ParsersFor).
	Parser string `yaml:"parser"`
	// Default is the value used when nothing matched.
	Default *string `yaml:"default"`
	// Required drops a record that lacks this field (natural keys are
	// always required).
	Required bool `yaml:"required"`
	// Lines keeps the line breaks of the text (block elements and <br>
	// start a new line; white space is collapsed within lines only). It
	// defaults to true for the free-text fields description, body and
	// signature and to false for every other field. Version 2.
	Lines *bool `yaml:"lines"`
	// Count makes the value the number of elements the selector matches
	// (after regex), "0" when none: the feedback rows of a tab that may be
	// empty. Version 2.
	Count bool `yaml:"count"`
	// Exists makes the value "true" when the selector matches (after
	// regex) and "false" when it does not: a badge shown only on some
	// items. Version 2.
	Exists bool `yaml:"exists"`

	sel    *matcher
	re     *regexp.Regexp
	lit    *litRE // re evaluated as plain string code when it has that shape
	group  int    // capture group of re to keep; -1: the first group, or the whole match
	parser string // effective parser
	lines  bool   // keep line breaks (Lines, or the field's default)
}

// EffectiveParser is the parser normalization applies to this field: the
// one the site file names, or the field's default.
func (f *FieldRule) EffectiveParser() string { return f.parser }

// ID is the pipeline id events carry: "name@pipeline_version".
func (s *Site) ID() string { return s.Name + "@" + strconv.Itoa(s.PipelineVersion) }

// Delay is the minimum gap between requests to the site.
func (s *Site) Delay() time.Duration { return time.Duration(s.Politeness.Delay) }

// NextRun is the first time after t the site's schedule says to collect
// it; ok is false when the site has no schedule.
func (s *Site) NextRun(t time.Time) (next time.Time, ok bool) {
	if s.sched == nil {
		return time.Time{}, false
	}
	return s.sched.Next(t), true
}

// ErrInvalid marks a site file that fails to decode or validate; every
// error in an Errors list wraps it.
var ErrInvalid = errors.New("invalid site file")

// Load reads and parses one site file. A file larger than MaxFileSize is an
// error.
func Load(path string) (*Site, error) {
	data, err := readBounded(path, MaxFileSize)
	if errors.Is(err, errTooLarge) {
		return nil, Errors{&Error{File: path, Msg: fmt.Sprintf("site file larger than %d bytes", MaxFileSize)}}
	}
	if err != nil {
		return nil, fmt.Errorf("loading site file: %w", err)
	}
	return Parse(path, data)
}

// CheckUnique reports every site whose name another site file already
// claims, naming both files: two files of one market would crawl it twice
// at once and break its politeness.
func CheckUnique(sites []*Site) error {
	names := map[string]string{}
	var all Errors
	for _, s := range sites {
		if err := unique(names, s); err != nil {
			all = append(all, err)
		}
	}
	if len(all) > 0 {
		return all
	}
	return nil
}

func unique(names map[string]string, s *Site) *Error {
	if prev, ok := names[s.Name]; ok {
		return &Error{File: s.File, Line: s.nameLine, Path: "name", Msg: fmt.Sprintf("site %q is already defined in %s", s.Name, prev)}
	}
	names[s.Name] = s.File
	return nil
}

// LoadDir loads every *.yaml and *.yml file in dir, in name order. It
// returns every error of every file at once (as Errors), including two
// files claiming the same site name.
func LoadDir(dir string) ([]*Site, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("loading site files: %w", err)
	}
	var (
		sites []*Site
		all   Errors
		names = map[string]string{}
	)
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		s, err := Load(path)
		if err != nil {
			var es Errors
			if errors.As(err, &es) {
				all = append(all, es...)
				continue
			}
			return nil, err
		}
		if err := unique(names, s); err != nil {
			all = append(all, err)
			continue
		}
		sites = append(sites, s)
	}
	if len(all) > 0 {
		return nil, all
	}
	return sites, nil
}

// Parse decodes (strictly: unknown keys are errors), validates and compiles
// one site file. filename is used in messages only. On failure the error is
// an Errors list holding every problem found, one per line, each as
// "file:line: field.path: message".
func Parse(filename string, data []byte) (*Site, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{syntaxError(filename, data, err)}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, Errors{&Error{File: filename, Msg: "empty site file"}}
	}
	idx := indexNodes(&root)
	if doc := root.Content[0]; doc.Kind != yaml.MappingNode {
		return nil, Errors{&Error{File: filename, Line: doc.Line, Msg: "a site file is a mapping of keys (version, name, mirrors, ...)"}}
	}

	s := &Site{
		Limits:     Limits{MaxPages: DefaultMaxPages},
		Politeness: Politeness{Delay: Duration(DefaultDelay), Concurrency: DefaultConcurrency},
		File:       filename,
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var errs Errors
	if err := dec.Decode(s); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, Errors{syntaxError(filename, data, err)}
		}
		for _, m := range te.Errors {
			errs = append(errs, idx.typeError(filename, m))
		}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		errs = append(errs, &Error{File: filename, Line: extra.Line, Msg: "more than one YAML document; a site file holds one"})
	}

	v := &validator{file: filename, idx: idx}
	v.site(s)
	// A value that failed to decode also fails validation; report it once.
	decoded := map[string]bool{}
	for _, e := range errs {
		decoded[e.(*Error).Path] = true
	}
	for _, e := range v.errs {
		if !decoded[e.(*Error).Path] {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].(*Error).Line < errs[j].(*Error).Line })
		return nil, errs
	}
	if s.Title == "" {
		s.Title = s.Name
	}
	s.compiled = true
	s.nameLine = idx.line("name")
	return s, nil
}

// StartLinks resolves the site's start pages against one mirror base URL.
// An absolute start URL keeps its path and query but moves to the mirror's
// host, so every mirror serves the same start pages.
func (s *Site) StartLinks(mirror string) ([]Link, error) {
	base, err := url.Parse(mirror)
	if err != nil || !base.IsAbs() {
		return nil, fmt.Errorf("resolving start pages of %s: mirror %q is not an absolute URL", s.ID(), mirror)
	}
	var out []Link
	for _, st := range s.Start {
		ref, err := url.Parse(st.Path)
		if err != nil {
			return nil, fmt.Errorf("resolving start page %q of %s: %w", st.Path, s.ID(), err)
		}
		if ref.IsAbs() {
			ref = &url.URL{Path: ref.Path, RawPath: ref.RawPath, RawQuery: ref.RawQuery}
			if ref.Path == "" {
				ref.Path = "/"
			}
		}
		u := base.ResolveReference(ref)
		u.Fragment, u.RawFragment = "", ""
		out = append(out, Link{URL: u.String(), Page: st.Page})
	}
	return out, nil
}

// Error is one problem in a site file.
type Error struct {
	File string
	Line int    // 0 when not known
	Path string // field path such as pages.listing.records[0].fields.price.parser
	Msg  string
	Err  error // underlying cause, if any (e.g. tor.ErrBadOnion)
}

// Error formats the problem as "file:line: path: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is find ErrInvalid and the underlying cause.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalid, e.Err}
	}
	return []error{ErrInvalid}
}

// Errors is every problem found in one or more site files, ordered by file
// and line. Each element is an *Error.
type Errors []error

// Error formats the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.Is and errors.As access to every problem.
func (es Errors) Unwrap() []error { return es }
