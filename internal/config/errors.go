package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// FieldError is one problem in a configuration: where it is and what is
// wrong.
type FieldError struct {
	File string // config file; empty when the value is not from a file
	Line int    // 1-based line in File; 0 when unknown or not from the file
	// Source says where a value not from the file came from: "default" or
	// "env COUNTERNET_NATS_URL".
	Source string
	Field  string // dotted key path such as "nats.replicas"; empty for syntax errors
	Msg    string
}

// Error formats the problem as "file:line: field: message", with
// "(default)" or "(env NAME)" in place of file and line for values that did
// not come from the file.
func (e FieldError) Error() string {
	var b strings.Builder
	switch {
	case e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.Source != "":
		fmt.Fprintf(&b, "(%s): ", e.Source)
	case e.File != "":
		fmt.Fprintf(&b, "%s: ", e.File)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Error is every problem found in a configuration, in file order.
type Error struct {
	Errors []FieldError
}

// Error prints one problem per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns each problem, so errors.As finds a FieldError.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		errs[i] = fe
	}
	return errs
}

// problem is a validation failure: the key at fault, keys whose values it
// depends on, and the message.
type problem struct {
	field   string
	related []string
	msg     string
}

// nodeIndex maps key paths of a parsed file to their nodes.
type nodeIndex struct {
	entries []indexEntry          // every key and value node, in file order
	value   map[string]*yaml.Node // path to the value node of its first occurrence
	dups    []duplicateKey        // keys given twice in one mapping
	merged  map[*yaml.Node]bool   // mappings already walked for a "<<" key
	// aliasDepth is how many aliases deep walk is.
	aliasDepth int
}

// duplicateKey is a key repeated in one mapping.
type duplicateKey struct {
	path        string
	line, first int
}

type indexEntry struct {
	path  string
	node  *yaml.Node
	isKey bool
}

// indexNodes indexes the mapping root and everything under it.
func indexNodes(root *yaml.Node) *nodeIndex {
	idx := &nodeIndex{value: make(map[string]*yaml.Node), merged: make(map[*yaml.Node]bool)}
	idx.walk(root, "")
	return idx
}

func (idx *nodeIndex) walk(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		seen := make(map[string]int)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.ShortTag() == "!!merge" {
				idx.walkMerge(v, path)
				continue
			}
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if first, ok := seen[k.Value]; ok {
				idx.dups = append(idx.dups, duplicateKey{path: p, line: k.Line, first: first})
			} else {
				seen[k.Value] = k.Line
			}
			idx.add(p, k, true)
			idx.add(p, v, false)
			idx.walk(v, p)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			idx.add(p, item, false)
			idx.walk(item, p)
		}
	case yaml.AliasNode:
		// An alias (*rates) brings its anchor's keys to this path: index
		// them here too, so a problem with a value it brings names the
		// line it was written on. Bounded: aliases nested in aliases stop
		// at a depth no real config needs.
		if n.Alias != nil && idx.aliasDepth < maxAliasDepth && len(idx.entries) < maxIndexEntries {
			idx.aliasDepth++
			idx.walk(n.Alias, path)
			idx.aliasDepth--
		}
	}
}

// Bounds on indexing through aliases: an alias bomb must not make error
// reporting itself exhaust memory.
const (
	maxAliasDepth   = 8
	maxIndexEntries = 100_000
)

// walkMerge indexes the mappings merged into path by a "<<" key, so that
// their keys are found at path.
// Each merged mapping is walked once per file: that breaks merge cycles
// (an anchor merged into itself) and alias bombs.
func (idx *nodeIndex) walkMerge(v *yaml.Node, path string) {
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	for _, item := range items {
		if item.Kind == yaml.AliasNode && item.Alias != nil {
			item = item.Alias
		}
		if item.Kind == yaml.MappingNode && !idx.merged[item] {
			idx.merged[item] = true
			idx.walk(item, path)
		}
	}
}

func (idx *nodeIndex) add(path string, n *yaml.Node, isKey bool) {
	idx.entries = append(idx.entries, indexEntry{path: path, node: n, isKey: isKey})
	if _, ok := idx.value[path]; !isKey && !ok {
		idx.value[path] = n
	}
}

// find returns the first entry on line that match accepts.
func (idx *nodeIndex) find(line int, match func(indexEntry) bool) (indexEntry, bool) {
	if idx == nil {
		return indexEntry{}, false
	}
	for _, e := range idx.entries {
		if e.node.Line == line && match(e) {
			return e, true
		}
	}
	return indexEntry{}, false
}

var (
	reLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	reUnknown  = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	reSetTwice = regexp.MustCompile(`^field (.+) already set in type \S+$`)
	reDupKey   = regexp.MustCompile(`^line \d+: mapping key ".*" already defined at line \d+$`)
	reCannot   = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `(.*)`)? into (.+)$")
)

// typeError rewrites one of yaml.v3's "line N: ..." type errors as a
// FieldError naming the key.
func typeError(filename string, idx *nodeIndex, msg string) FieldError {
	fe := FieldError{File: filename, Msg: msg}
	m := reLine.FindStringSubmatch(msg)
	if m == nil {
		return fe
	}
	fe.Line, _ = strconv.Atoi(m[1])
	rest := m[2]
	fe.Msg = rest
	keyNamed := func(name string) func(indexEntry) bool {
		return func(e indexEntry) bool { return e.isKey && e.node.Value == name }
	}
	switch {
	case reUnknown.MatchString(rest):
		name := reUnknown.FindStringSubmatch(rest)[1]
		fe.Field = name
		if e, ok := idx.find(fe.Line, keyNamed(name)); ok {
			fe.Field = e.path
		}
		fe.Msg = unknownFieldMsg(fe.Field)
	case reSetTwice.MatchString(rest):
		name := reSetTwice.FindStringSubmatch(rest)[1]
		fe.Field = name
		if e, ok := idx.find(fe.Line, keyNamed(name)); ok {
			fe.Field = e.path
		}
		fe.Msg = "key set twice in the same section"
	case reCannot.MatchString(rest):
		sm := reCannot.FindStringSubmatch(rest)
		tag, val, goType := sm[1], sm[2], sm[3]
		// Several nodes can start on one line ("tor:" and its first key, a
		// flow mapping's values): prefer the one whose key holds goType.
		e, ok := idx.find(fe.Line, func(e indexEntry) bool {
			t := typeAt(e.path)
			return !e.isKey && e.node.ShortTag() == tag && valueMatches(e.node, val) && t != nil && t.String() == goType
		})
		if !ok {
			e, ok = idx.find(fe.Line, func(e indexEntry) bool {
				return !e.isKey && e.node.ShortTag() == tag && valueMatches(e.node, val)
			})
		}
		if ok {
			fe.Field = e.path
			val = e.node.Value
		}
		fe.Msg = cannotMsg(tag, val, goType)
	default:
		if e, ok := idx.find(fe.Line, func(e indexEntry) bool { return !e.isKey }); ok {
			fe.Field = e.path
		}
	}
	return fe
}

// valueMatches reports whether n's value is val as yaml.v3 prints it:
// cut to 7 characters and "..." when longer than 10.
func valueMatches(n *yaml.Node, val string) bool {
	if n.Kind != yaml.ScalarNode {
		return val == ""
	}
	if prefix, ok := strings.CutSuffix(val, "..."); ok && len(n.Value) > 10 {
		return strings.HasPrefix(n.Value, prefix)
	}
	return n.Value == val
}

// cannotMsg explains a value of the wrong type.
func cannotMsg(tag, val, goType string) string {
	want := wantDesc(goType)
	if tag == "!!int" && want == "an integer" {
		return fmt.Sprintf("integer %s out of range", shorten(val))
	}
	got := tagDesc(tag)
	switch tag {
	case "!!map", "!!seq", "!!null":
		got = withArticle(got)
	case "!!str":
		got += " " + strconv.Quote(shorten(val))
	default:
		got += " " + shorten(val)
	}
	return fmt.Sprintf("got %s, want %s", got, want)
}

// shorten bounds a value quoted from a file; values can be long or
// hold what an operator pasted by mistake.
func shorten(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}

// tagDesc names a YAML tag for an operator.
func tagDesc(tag string) string {
	switch tag {
	case "!!str":
		return "string"
	case "!!int":
		return "integer"
	case "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	case "!!null":
		return "null"
	case "!!timestamp":
		return "date"
	case "!!map":
		return "mapping"
	case "!!seq":
		return "list"
	}
	return tag
}

// withArticle puts "a" or "an" before a noun.
func withArticle(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// wantDesc names the Go type a key holds for an operator.
func wantDesc(goType string) string {
	switch goType {
	case "int", "int64":
		return "an integer"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "time.Duration":
		return "a duration with a unit, like 30s, 2m or 2160h"
	case "config.Date":
		return "a date like 2026-11-01"
	case "[]string":
		return "a list of strings"
	case "map[string]float64":
		return "a mapping of currency codes to numbers"
	}
	if strings.HasPrefix(goType, "config.") {
		return "a mapping of keys"
	}
	return goType
}

// unknownFieldMsg explains an unknown key at path, suggesting the known key
// it most likely misspells.
func unknownFieldMsg(path string) string {
	parent, name := "", path
	if i := strings.LastIndex(path, "."); i >= 0 {
		parent, name = path[:i], path[i+1:]
	}
	known := knownKeys(parent)
	if len(known) == 0 {
		return "unknown key"
	}
	best, bestDist := "", 3
	for _, k := range known {
		d := editDistance(strings.ToLower(name), k)
		if d < bestDist && d*2 < len(k) {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key, did you mean %q?", best)
	}
	where := "the top level"
	if parent != "" {
		where = parent
	}
	return fmt.Sprintf("unknown key; %s has: %s", where, strings.Join(known, ", "))
}

// knownKeys lists the YAML keys of the section at path, in file order.
func knownKeys(path string) []string {
	t := typeAt(path)
	if t == nil || t.Kind() != reflect.Struct || t == reflect.TypeFor[Date]() {
		return nil
	}
	var keys []string
	for i := range t.NumField() {
		if k := yamlKey(t.Field(i)); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// typeAt is the Go type of the value at a key path such as
// "collect.pipelines[0]" or "fx.usd_per.EUR", or nil if no key has that
// path. The empty path is Config.
func typeAt(path string) reflect.Type {
	t := reflect.TypeFor[Config]()
	if path == "" {
		return t
	}
	for seg := range strings.SplitSeq(path, ".") {
		name, index, _ := strings.Cut(seg, "[")
		switch t.Kind() {
		case reflect.Struct:
			f, ok := fieldByKey(t, name)
			if !ok {
				return nil
			}
			t = f.Type
		case reflect.Map:
			t = t.Elem()
		default:
			return nil
		}
		for range strings.Count("["+index, "[") - 1 {
			if t.Kind() != reflect.Slice {
				return nil
			}
			t = t.Elem()
		}
	}
	return t
}

func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for i := range t.NumField() {
		if f := t.Field(i); yamlKey(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func yamlKey(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	k, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if k == "-" {
		return ""
	}
	return k
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours cost one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// indexProblems reports what yaml.v3 either misses or mis-reports: every
// key repeated in a mapping (yaml.v3 stops at the outermost), and numbers
// with a fraction given for integer keys (yaml.v3 truncates them silently).
func (idx *nodeIndex) indexProblems(filename string) []FieldError {
	var errs []FieldError
	for _, d := range idx.dups {
		errs = append(errs, FieldError{File: filename, Line: d.line, Field: d.path,
			Msg: fmt.Sprintf("key already set at line %d", d.first)})
	}
	for _, e := range idx.entries {
		if e.isKey || e.node.Kind != yaml.ScalarNode || e.node.ShortTag() != "!!float" {
			continue
		}
		t := typeAt(e.path)
		if t != nil && t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64 && t != reflect.TypeFor[time.Duration]() {
			errs = append(errs, FieldError{File: filename, Line: e.node.Line, Field: e.path,
				Msg: fmt.Sprintf("got number %s, want an integer", shorten(e.node.Value))})
		}
	}
	return errs
}

// syntaxError turns an error from the YAML parser into a FieldError.
func syntaxError(filename string, err error) FieldError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	fe := FieldError{File: filename, Msg: "invalid YAML: " + msg}
	if m := reLine.FindStringSubmatch(msg); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Msg = "invalid YAML: " + m[2]
	}
	return fe
}

// locate places a validation problem: at the environment variable that set
// the value, else at the line of the file that did (trying related keys when
// the key itself is not in the file), else at the defaults.
func locate(filename string, idx *nodeIndex, fromEnv map[string]string, p problem) FieldError {
	fe := FieldError{Field: p.field, Msg: p.msg}
	if env, ok := fromEnv[p.field]; ok {
		fe.Source = "env " + env
		return fe
	}
	if idx != nil {
		for _, path := range append([]string{p.field}, p.related...) {
			if n, ok := idx.value[path]; ok {
				fe.File, fe.Line = filename, n.Line
				return fe
			}
		}
	}
	for _, path := range p.related {
		if env, ok := fromEnv[path]; ok {
			fe.Source = "env " + env
			return fe
		}
	}
	fe.Source = "default"
	return fe
}

// decodeFailed reports whether field, or a section holding it, already has
// a decoding error.
func decodeFailed(errs []FieldError, field string) bool {
	for _, e := range errs {
		if e.Field == "" {
			continue
		}
		if e.Field == field || strings.HasPrefix(field, e.Field+".") || strings.HasPrefix(field, e.Field+"[") {
			return true
		}
	}
	return false
}

// sortErrors orders problems by line; those without a line go last, in the
// order they were found.
func sortErrors(errs []FieldError) {
	slices.SortStableFunc(errs, func(a, b FieldError) int {
		switch {
		case a.Line == 0 && b.Line == 0:
			return 0
		case a.Line == 0:
			return 1
		case b.Line == 0:
			return -1
		}
		return a.Line - b.Line
	})
}
