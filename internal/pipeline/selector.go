package pipeline

import (
	"fmt"
	"strings"
)

// rewriteHasChild turns the relative selector ":has(> X)", which cascadia
// does not parse, into cascadia's ":haschild(X)" where X is one compound
// selector (no combinator of its own). A relative selector with more steps
// (":has(> a b)", ":has(+ x)") is an error saying what to write instead.
func rewriteHasChild(sel string) (string, error) {
	const open = ":has("
	var b strings.Builder
	rest := sel
	for {
		i := strings.Index(rest, open)
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		inner, after, ok := balanced(rest[i+len(open):])
		if !ok {
			b.WriteString(rest[i:])
			return b.String(), nil // let the selector parser report it
		}
		trimmed := strings.TrimSpace(inner)
		switch {
		case strings.HasPrefix(trimmed, ">"):
			x := strings.TrimSpace(trimmed[1:])
			if hasCombinator(x) {
				return "", fmt.Errorf(":has(> %s): only one compound selector may follow '>' (e.g. :has(> span.k)); for deeper paths use :has(%s)", x, x)
			}
			b.WriteString(":haschild(" + x + ")")
		case strings.HasPrefix(trimmed, "+"), strings.HasPrefix(trimmed, "~"):
			return "", fmt.Errorf(":has(%s): sibling relations inside :has are not supported; select the label and step to its sibling instead, e.g. span.k:contains('Origin') + span.v", trimmed)
		default:
			b.WriteString(open + inner + ")")
		}
		rest = after
	}
}

// balanced splits s after the ")" that closes an already opened "(",
// skipping quoted strings and nested parentheses.
func balanced(s string) (inner, after string, ok bool) {
	depth := 1
	end := scan(s, func(i int, c byte, quoted bool) bool {
		switch {
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
			return depth == 0
		}
		return false
	})
	if end < 0 {
		return "", "", false
	}
	return s[:end], s[end+1:], true
}

// hasCombinator reports a combinator (white space, >, +, ~) outside
// brackets, parentheses and quotes.
func hasCombinator(s string) bool {
	depth := 0
	return scan(s, func(i int, c byte, quoted bool) bool {
		switch {
		case quoted:
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case depth == 0 && (c == ' ' || c == '>' || c == '+' || c == '~' || c == '\t'):
			return true
		}
		return false
	}) >= 0
}

// scan calls stop for each byte of a selector with whether it lies inside
// a quoted string (quotes and escapes are read here, once) and returns the
// index where stop said true, or -1.
func scan(s string, stop func(i int, c byte, quoted bool) bool) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
				continue
			}
			if c == quote {
				quote = 0
			}
			if stop(i, c, true) {
				return i
			}
			continue
		case c == '"' || c == '\'':
			quote = c
			if stop(i, c, true) {
				return i
			}
			continue
		}
		if stop(i, c, false) {
			return i
		}
	}
	return -1
}
