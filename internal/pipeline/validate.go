package pipeline

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/andybalholm/cascadia"
	"github.com/robfig/cron/v3"

	"github.com/counternet/counternet/internal/tor"
)

var (
	nameRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	pageNameRE  = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	fieldNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	// v2Onion is a version 2 onion host: 16 base32 characters.
	v2Onion = regexp.MustCompile(`^([a-z0-9-]+\.)*[a-z2-7]{16}\.onion$`)
)

// MaxConcurrency bounds politeness.concurrency.
const MaxConcurrency = 64

// validator checks a decoded site, compiles its selectors and collects every
// problem with its line.
type validator struct {
	file    string
	idx     *nodeIndex
	errs    Errors
	version int
}

// v2 reports a version 2 key used in a version 1 file.
func (v *validator) v2(path, what string) {
	if v.version == FormatVersion1 {
		v.add(path, nil, "%s needs version: %d (this file says version: %d)", what, FormatVersion2, FormatVersion1)
	}
}

func (v *validator) add(path string, cause error, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.file, Line: v.idx.line(path), Path: path, Msg: fmt.Sprintf(format, args...), Err: cause})
}

func (v *validator) site(s *Site) {
	v.version = s.Version
	if s.Version == 0 {
		v.add("version", nil, "version is required; the current format version is %d", FormatVersion)
	} else if s.Version != FormatVersion1 && s.Version != FormatVersion2 {
		v.add("version", nil, "format version %d is not supported; want %d or %d", s.Version, FormatVersion1, FormatVersion2)
	}
	if s.Schedule != "" {
		v.v2("schedule", "schedule")
		sched, err := cron.ParseStandard(s.Schedule)
		if err != nil {
			v.add("schedule", nil, "schedule %q is not a cron expression (minute hour day-of-month month day-of-week, or @hourly, @daily, @every 6h): %v", s.Schedule, err)
		} else {
			s.sched = sched
		}
	}
	v.locale(&s.Locale)
	if !nameRE.MatchString(s.Name) {
		v.add("name", nil, "name %q must be 1-63 lower-case letters, digits or '-', starting with a letter or digit", s.Name)
	}
	if s.PipelineVersion < 1 {
		v.add("pipeline_version", nil, "pipeline_version must be 1 or more")
	}
	if s.Kind != KindMarket && s.Kind != KindForum {
		v.add("kind", nil, "kind %q must be %s or %s", s.Kind, KindMarket, KindForum)
	}
	hosts := v.mirrors(s.Mirrors, s.Archived)
	if s.Limits.MaxPages < 1 {
		v.add("limits.max_pages", nil, "max_pages must be 1 or more")
	}
	if s.Politeness.Delay < 0 {
		v.add("politeness.delay", nil, "delay must not be negative")
	}
	if s.Politeness.Concurrency < 1 || s.Politeness.Concurrency > MaxConcurrency {
		v.add("politeness.concurrency", nil, "concurrency must be between 1 and %d", MaxConcurrency)
	}
	if len(s.Pages) == 0 {
		v.add("pages", nil, "at least one page kind is required")
	}
	if len(s.Start) == 0 {
		v.add("start", nil, "at least one start page is required")
	}
	for i, st := range s.Start {
		p := "start[" + strconv.Itoa(i) + "]"
		v.start(p, st, hosts)
		v.pageRef(p+".page", st.Page, s.Pages, true)
	}
	names := make([]string, 0, len(s.Pages))
	for name := range s.Pages {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v.page("pages."+name, name, s.Pages[name], s.Pages)
	}
	v.tests(s)
}

func (v *validator) tests(s *Site) {
	if len(s.Tests) > 0 {
		v.v2("tests", "tests")
	}
	seen := map[string]bool{}
	for i := range s.Tests {
		t := &s.Tests[i]
		p := "tests[" + strconv.Itoa(i) + "]"
		if !pageNameRE.MatchString(t.Name) {
			v.add(p+".name", nil, "test name %q must be lower-case letters, digits, '_' or '-', starting with a letter", t.Name)
		} else if seen[t.Name] {
			v.add(p+".name", nil, "test %q is defined twice", t.Name)
		}
		seen[t.Name] = true
		if t.File == "" {
			v.add(p+".file", nil, "file (the saved page, relative to the site file) is required")
		} else if filepath.IsAbs(t.File) {
			v.add(p+".file", nil, "file %q must be relative to the site file's directory", t.File)
		}
		if t.Want == "" && t.File != "" {
			t.Want = strings.TrimSuffix(t.File, filepath.Ext(t.File)) + ".want.yaml"
		} else if filepath.IsAbs(t.Want) {
			v.add(p+".want", nil, "want %q must be relative to the site file's directory", t.Want)
		}
		v.pageRef(p+".page", t.Page, s.Pages, true)
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p+".url", nil, "url %q must be the absolute http(s) URL the page was fetched from", t.URL)
		}
	}
}

// mirrors checks the mirror URLs and returns their hosts.
func (v *validator) mirrors(ms []string, archived bool) map[string]bool {
	hosts := map[string]bool{}
	if len(ms) == 0 {
		v.add("mirrors", nil, "at least one mirror is required")
	}
	for i, m := range ms {
		p := "mirrors[" + strconv.Itoa(i) + "]"
		u, err := url.Parse(m)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p, nil, "mirror %q must be an absolute http or https URL", m)
			continue
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			v.add(p, nil, "mirror %q must not carry user info, a query or a fragment", m)
			continue
		}
		host := strings.ToLower(u.Hostname())
		if strings.HasSuffix(host, ".onion") {
			err := tor.ValidateOnion(host)
			if err != nil && archived && v2Onion.MatchString(host) {
				err = nil // the address the market had, kept as evidence of where it was
			}
			if err != nil {
				if v2Onion.MatchString(host) {
					err = fmt.Errorf("%w (a market that is gone can keep its v2 mirrors with archived: true)", err)
				}
				v.add(p, err, "%v", err)
				continue
			}
		}
		h := strings.ToLower(u.Host)
		if hosts[h] {
			v.add(p, nil, "mirror host %q is listed twice", u.Host)
		}
		hosts[h] = true
	}
	return hosts
}

func (v *validator) start(p string, st Start, hosts map[string]bool) {
	if st.Path == "" {
		v.add(p+".path", nil, "path is required")
		return
	}
	u, err := url.Parse(st.Path)
	switch {
	case err != nil:
		v.add(p+".path", nil, "path %q does not parse: %v", st.Path, err)
	case u.IsAbs():
		if u.Scheme != "http" && u.Scheme != "https" {
			v.add(p+".path", nil, "start URL %q must be http or https", st.Path)
		} else if !hosts[strings.ToLower(u.Host)] {
			v.add(p+".path", nil, "start URL host %q is not one of the mirrors", u.Host)
		}
	case u.Host != "":
		v.add(p+".path", nil, "start %q must be a path or an absolute URL", st.Path)
	}
}

// pageRef checks that a page-kind reference names an existing page kind.
func (v *validator) pageRef(p, name string, pages map[string]*Page, required bool) {
	if name == "" {
		if required {
			v.add(p, nil, "page kind is required")
		}
		return
	}
	if _, ok := pages[name]; !ok {
		v.add(p, nil, "page kind %q is not defined under pages (have %s)", name, strings.Join(sortedKeys(pages), ", "))
	}
}

func (v *validator) page(p, name string, pg *Page, pages map[string]*Page) {
	if !pageNameRE.MatchString(name) {
		v.add(p, nil, "page kind %q must be lower-case letters, digits, '_' or '-', starting with a letter", name)
	}
	if pg == nil {
		return
	}
	if pg.Next != nil {
		v.link(p+".next", pg.Next)
		v.pageRef(p+".next.page", pg.Next.Page, pages, false)
		if pg.Next.Page == "" {
			pg.Next.Page = name
		}
	}
	for i := range pg.Follow {
		lp := p + ".follow[" + strconv.Itoa(i) + "]"
		v.link(lp, &pg.Follow[i])
		v.pageRef(lp+".page", pg.Follow[i].Page, pages, true)
	}
	for i := range pg.Records {
		v.record(p+".records["+strconv.Itoa(i)+"]", &pg.Records[i])
	}
}

func (v *validator) link(p string, l *LinkRule) {
	if l.Selector == "" {
		v.add(p+".selector", nil, "selector is required")
	} else {
		l.sel = v.selector(p+".selector", l.Selector)
	}
	if l.Attr == "" {
		l.Attr = "href"
	}
	l.Attr = intern(l.Attr)
	if l.Attr == "html" {
		v.add(p+".attr", nil, `attr "html" cannot hold a URL; name the attribute (default href)`)
	}
}

func (v *validator) selector(p, sel string) *matcher {
	rewritten, err := rewriteHasChild(sel)
	if err != nil {
		v.add(p, nil, "selector %q: %v", sel, err)
		return nil
	}
	g, err := cascadia.ParseGroup(rewritten)
	if err != nil {
		v.add(p, nil, "selector %q does not compile: %v", sel, err)
		return nil
	}
	if len(g) == 1 {
		return newMatcher(g[0], rewritten) // skip the group's loop for the common single selector
	}
	return newMatcher(g, rewritten)
}

func (v *validator) record(p string, r *RecordRule) {
	_, ok := recordFields[r.Type]
	if !ok {
		v.add(p+".type", nil, "record type %q must be one of %s", r.Type, strings.Join(RecordTypes(), ", "))
	}
	if r.Type == RecordPost || r.Type == RecordThread {
		v.v2(p+".type", "record type "+r.Type)
	}
	if r.Partial {
		v.v2(p+".partial", "partial")
	}
	if r.Item != "" {
		r.item = v.selector(p+".item", r.Item)
	}
	if len(r.Fields) == 0 {
		v.add(p+".fields", nil, "at least one field is required")
	}
	if key := naturalKeys[r.Type]; key != "" && len(r.Fields) > 0 {
		if _, ok := r.Fields[key]; !ok {
			v.add(p+".fields", nil, "field %s, the natural key of a %s, is required", key, r.Type)
		}
	}
	r.names = sortedKeys(r.Fields)
	r.rules = make([]*FieldRule, len(r.names))
	for k, name := range r.names {
		fp := p + ".fields." + name
		f := r.Fields[name]
		if f == nil {
			v.add(fp, nil, "field needs a rule (selector, from, default ...)")
			r.Fields[name] = &FieldRule{}
			f = r.Fields[name]
		}
		r.rules[k] = f
		_, isAttr := strings.CutPrefix(name, AttributePrefix)
		_, attrOK := AttributeKey(name)
		switch {
		case isAttr && !attrOK:
			v.add(fp, nil, "attribute name %q must be %s followed by lower-case letters, digits or '_' (at most 64), starting with a letter", name, AttributePrefix)
		case !isAttr && !fieldNameRE.MatchString(name):
			v.add(fp, nil, "field name %q must be lower-case letters, digits or '_', starting with a letter", name)
		}
		var parsers []string
		if ok && isAttr {
			parsers = AttributeParsers
			v.v2(fp, "attributes")
		} else if ok {
			var fieldOK bool
			parsers, fieldOK = ParsersFor(r.Type, name)
			if !fieldOK {
				v.add(fp, nil, "unknown field %q for %s records (known: %s)", name, r.Type, strings.Join(Fields(r.Type), ", "))
			} else if v2Fields[r.Type][name] {
				v.v2(fp, "field "+name)
			}
		}
		v.field(fp, f, parsers)
		f.lines = multilineFields[name] && f.Attr == "" && f.From == ""
		if f.Lines != nil {
			f.lines = *f.Lines
		}
	}
	r.shared = make([]int, len(r.rules))
	for k, f := range r.rules {
		r.shared[k] = -1
		for j := range k {
			if g := r.rules[j]; f.sel != nil && f.Scope != "page" && g.sel != nil && g.Scope != "page" && g.Selector == f.Selector {
				r.shared[k], r.shared[j] = j, j
				break
			}
		}
	}
}

func (v *validator) field(p string, f *FieldRule, parsers []string) {
	f.Attr = intern(f.Attr)
	switch f.From {
	case "":
		if f.Selector != "" {
			f.sel = v.selector(p+".selector", f.Selector)
		}
	case "url":
		if f.Selector != "" || f.Attr != "" {
			v.add(p+".from", nil, "from: url takes the page URL; it cannot be combined with selector or attr")
		}
	default:
		v.add(p+".from", nil, "from %q: the only source is url", f.From)
	}
	switch f.Scope {
	case "", "item":
	case "page":
		v.v2(p+".scope", "scope")
		if f.From == "url" {
			v.add(p+".scope", nil, "scope does not apply to from: url")
		}
	default:
		v.add(p+".scope", nil, "scope %q must be item (the default) or page", f.Scope)
	}
	f.group = -1
	if f.Regex != "" {
		re, err := regexp.Compile(f.Regex)
		if err != nil {
			v.add(p+".regex", nil, "regex does not compile: %v", err)
		} else {
			f.re = re
			f.lit = compileLitRE(f.Regex)
		}
	}
	if f.Group != "" {
		v.v2(p+".group", "group")
		switch {
		case f.Regex == "":
			v.add(p+".group", nil, "group picks a capture group of regex; there is no regex")
		case f.re == nil:
		default:
			if n, err := strconv.Atoi(f.Group); err == nil {
				if n < 0 || n > f.re.NumSubexp() {
					v.add(p+".group", nil, "group %d: the regex has %d capture groups", n, f.re.NumSubexp())
				} else {
					f.group = n
				}
			} else if i := f.re.SubexpIndex(f.Group); i > 0 {
				f.group = i
			} else {
				v.add(p+".group", nil, "group %q is not a number or the name of a group of the regex (?P<name>...)", f.Group)
			}
		}
	}
	if f.Count || f.Exists {
		key := "count"
		if f.Exists {
			key = "exists"
		}
		v.v2(p+"."+key, key)
		switch {
		case f.Count && f.Exists:
			v.add(p+".count", nil, "count and exists cannot both be set")
		case f.Selector == "" || f.From != "":
			v.add(p+"."+key, nil, "%s needs a selector (it counts or tests its matches)", key)
		case f.Join != nil || f.Default != nil:
			v.add(p+"."+key, nil, "%s always yields a value: join and default do not apply", key)
		}
	}
	if f.Lines != nil {
		v.v2(p+".lines", "lines")
		if f.Attr != "" || f.From != "" {
			v.add(p+".lines", nil, "lines applies to the text of an element, not to attr or from")
		}
	}
	f.parser = f.Parser
	if v2Parsers[f.Parser] {
		v.v2(p+".parser", "parser "+f.Parser)
	}
	switch {
	case f.Parser != "" && !slices.Contains(Parsers, f.Parser):
		v.add(p+".parser", nil, "unknown parser %q (known: %s)", f.Parser, strings.Join(Parsers, ", "))
	case len(parsers) > 0 && f.Parser != "" && !slices.Contains(parsers, f.Parser):
		v.add(p+".parser", nil, "parser %q does not fit this field; it takes %s", f.Parser, strings.Join(parsers, " or "))
	case f.Parser == "" && len(parsers) > 0:
		f.parser = parsers[0]
	case f.Parser == "":
		f.parser = ParserText
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// locale checks the site's date order and time zone.
func (v *validator) locale(l *Locale) {
	if *l == (Locale{}) {
		return
	}
	v.v2("locale", "locale")
	switch l.DateOrder {
	case "", "DMY", "MDY", "YMD":
	default:
		v.add("locale.date_order", nil, "date_order %q must be DMY (21/11/2017), MDY (11/21/2017) or YMD", l.DateOrder)
	}
	if l.TimeZone != "" {
		if _, err := l.Location(); err != nil {
			v.add("locale.time_zone", nil, "time_zone %q: want an IANA zone (Europe/Moscow) or an offset (+03:00)", l.TimeZone)
		}
	}
}
