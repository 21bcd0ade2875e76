package pipeline

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// nodeRef is one key or value of the YAML tree with its field path.
type nodeRef struct {
	line  int
	path  string
	key   string // for keys: the key text
	value string // for scalar values: the value text
	isKey bool
}

// nodeIndex maps field paths to lines, and lines back to field paths, so
// decode and validation errors can name both.
type nodeIndex struct {
	lines map[string]int // path -> line of its key (or item)
	refs  []nodeRef

	inAlias int // depth of aliases being walked
	aliased int // nodes walked through aliases so far
}

// maxAliasedNodes bounds the nodes the index walks through aliases, so a
// file of nested aliases (a "billion laughs") cannot make it expand
// without end. An error on a path past the bound is reported at the line
// of its nearest indexed ancestor.
const maxAliasedNodes = 10000

func indexNodes(root *yaml.Node) *nodeIndex {
	idx := &nodeIndex{lines: map[string]int{}}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	idx.lines[""] = n.Line
	idx.walk(n, "")
	return idx
}

func (idx *nodeIndex) walk(n *yaml.Node, path string) {
	if idx.inAlias > 0 {
		if idx.aliased >= maxAliasedNodes {
			return
		}
		idx.aliased++
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			if _, ok := idx.lines[p]; !ok {
				idx.lines[p] = k.Line
			}
			idx.refs = append(idx.refs, nodeRef{line: k.Line, path: p, key: k.Value, isKey: true})
			idx.walk(v, p)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			idx.lines[p] = c.Line
			idx.walk(c, p)
		}
	case yaml.ScalarNode:
		idx.refs = append(idx.refs, nodeRef{line: n.Line, path: path, value: n.Value})
	case yaml.AliasNode:
		if n.Alias != nil {
			idx.inAlias++
			idx.walk(n.Alias, path)
			idx.inAlias--
		}
	}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// line returns the line of path, or of its nearest ancestor present in the
// file (a missing field is reported where its parent is).
func (idx *nodeIndex) line(path string) int {
	for {
		if l, ok := idx.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return idx.lines[""]
		}
		path = path[:i]
	}
}

var (
	lineMsgRE   = regexp.MustCompile(`^line (\d+): (.*)$`)
	notFoundRE  = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	unmarshalRE = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `(.*)`)? into (.+)$")
	yamlLineRE  = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// typeError turns one yaml.v3 TypeError message ("line 12: field nxt not
// found in type pipeline.Page") into an Error with file, line and path.
func (idx *nodeIndex) typeError(file, msg string) *Error {
	m := lineMsgRE.FindStringSubmatch(msg)
	if m == nil {
		return &Error{File: file, Msg: msg}
	}
	line, _ := strconv.Atoi(m[1])
	rest := m[2]
	if f := notFoundRE.FindStringSubmatch(rest); f != nil {
		e := &Error{File: file, Line: line, Msg: "unknown field " + strconv.Quote(f[1])}
		for _, r := range idx.refs {
			if r.isKey && r.line == line && r.key == f[1] {
				e.Path = r.path
				break
			}
		}
		return e
	}
	if u := unmarshalRE.FindStringSubmatch(rest); u != nil {
		value := u[2]
		path, full := idx.valuePath(line, strings.TrimSuffix(value, "..."))
		if full != "" && u[2] != "" {
			value = full
		}
		return &Error{File: file, Line: line, Path: path, Msg: "want " + describeType(u[3]) + ", got " + describeTag(u[1], value)}
	}
	// A message of our own (Duration.UnmarshalYAML) quoting the value.
	e := &Error{File: file, Line: line, Msg: rest}
	e.Path, _ = idx.valuePath(line, "")
	for _, r := range idx.refs {
		if !r.isKey && r.line == line && r.value != "" && strings.Contains(rest, strconv.Quote(r.value)) {
			e.Path = r.path
			break
		}
	}
	return e
}

// valuePath finds the path and full text of the scalar at line whose text
// starts with prefix, falling back to the first key on that line.
func (idx *nodeIndex) valuePath(line int, prefix string) (path, value string) {
	for _, r := range idx.refs {
		if !r.isKey && r.line == line && strings.HasPrefix(r.value, prefix) {
			return r.path, r.value
		}
	}
	for _, r := range idx.refs {
		if r.isKey && r.line == line {
			return r.path, ""
		}
	}
	return "", ""
}

func describeType(t string) string {
	switch {
	case t == "int":
		return "an integer"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "pipeline."), strings.HasPrefix(t, "*pipeline."):
		return "a mapping"
	}
	return t
}

func describeTag(tag, value string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	}
	if value != "" {
		return strconv.Quote(value)
	}
	return tag
}

// syntaxError turns a YAML syntax error into an Error with file and line.
func syntaxError(file string, data []byte, err error) *Error {
	msg := err.Error()
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		return &Error{File: file, Msg: strings.TrimPrefix(msg, "yaml: "), Err: err}
	}
	line, _ := strconv.Atoi(m[1])
	text := m[2]
	if strings.HasPrefix(text, "did not find expected") {
		// yaml.v3 reports parser (not scanner) errors at the zero-based
		// line of the construct they occur in, not at the offending line:
		// find a line indented to no enclosing level after it.
		line++
		if bad, why := misindented(data, line); bad > 0 {
			line, text = bad, text+"; "+why
		}
	}
	if strings.HasPrefix(text, "did not find expected ','") && strings.Contains(sourceLine(data, line), "?") {
		// yaml.v3 does not accept '?' inside a plain scalar in a flow
		// collection, so {path: /listings?page=1} fails; say how to fix it.
		text += `; quote a value holding '?' inside {...} or [...], e.g. {path: "/listings?page=1", page: index}`
	}
	return &Error{File: file, Line: line, Msg: text, Err: err}
}

// sourceLine returns line n (1-based) of data.
func sourceLine(data []byte, n int) string {
	lines := strings.SplitN(string(data), "\n", n+1)
	if n < 1 || n > len(lines) {
		return ""
	}
	return lines[n-1]
}

// misindented looks from line from (1-based) for the first line whose
// indentation matches no enclosing level, as a block that yaml.v3 reports
// at its start usually fails at a line indented one space off. It returns
// 0 when every line fits.
func misindented(data []byte, from int) (int, string) {
	lines := strings.Split(string(data), "\n")
	type level struct{ indent, line int }
	var stack []level
	for i := from - 1; i < len(lines); i++ {
		l := lines[i]
		trimmed := strings.TrimLeft(l, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(l) - len(trimmed)
		// A list item "- key: v" opens a level at the key's column too.
		switch {
		case len(stack) == 0 || indent > stack[len(stack)-1].indent:
			stack = append(stack, level{indent, i + 1})
		case indent < stack[len(stack)-1].indent:
			var popped level
			for len(stack) > 0 && stack[len(stack)-1].indent > indent {
				popped = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
			if len(stack) == 0 {
				return 0, ""
			}
			if prev := stack[len(stack)-1]; prev.indent != indent {
				// Either this line or the one that opened the level just
				// left is one space off: blame the rarer indentation.
				if count(lines, popped.indent) < count(lines, indent) {
					return popped.line, fmt.Sprintf("this line is indented %d spaces; its siblings (line %d) are at %d", popped.indent, i+1, indent)
				}
				return i + 1, fmt.Sprintf("this line is indented %d spaces, which matches no enclosing level (line %d is at %d)", indent, prev.line, prev.indent)
			}
		}
		if strings.HasPrefix(trimmed, "- ") {
			item := indent + 2 + len(trimmed[2:]) - len(strings.TrimLeft(trimmed[2:], " "))
			stack = append(stack, level{item, i + 1})
		}
	}
	return 0, ""
}

// count is how many lines of text are indented exactly n spaces.
func count(lines []string, n int) int {
	c := 0
	for _, l := range lines {
		t := strings.TrimLeft(l, " ")
		if t != "" && !strings.HasPrefix(t, "#") && len(l)-len(t) == n {
			c++
		}
	}
	return c
}
