package pipeline

import (
	"regexp/syntax"
	"strings"
)

// litRE evaluates a regex of the shape most site files use, without the
// regexp engine: an optional ^, an ASCII literal prefix, one capture group
// of a greedy ASCII character class repeated (+), an optional ASCII literal
// suffix whose first byte is not in the class, and an optional $:
// '/offer/(\d+)', 'tid=(\d+)', '^([0-9.]+)', '([A-Za-z]+)$', '\.(\d+)/'.
// It finds exactly the match regexp finds (leftmost, greedy; FuzzLitRE
// holds them equal): an ASCII byte is always a rune boundary of the text,
// and no byte outside ASCII is in the class, so bytes can be compared where
// regexp steps through runes.
type litRE struct {
	begin, end     bool // ^ and $ (text anchors: Go's default flags)
	prefix, suffix string
	class          [2]uint64 // ASCII bytes of the class
}

// compileLitRE returns the string matcher of expr, or nil when expr is not
// of litRE's shape (the regexp engine then evaluates it).
func compileLitRE(expr string) *litRE {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	l := &litRE{}
	if len(subs) > 0 && subs[0].Op == syntax.OpBeginText {
		l.begin = true
		subs = subs[1:]
	}
	if len(subs) > 0 && subs[len(subs)-1].Op == syntax.OpEndText {
		l.end = true
		subs = subs[:len(subs)-1]
	}
	var ok bool
	if len(subs) > 0 && subs[0].Op == syntax.OpLiteral {
		if l.prefix, ok = asciiLiteral(subs[0]); !ok {
			return nil
		}
		subs = subs[1:]
	}
	if len(subs) > 0 && subs[len(subs)-1].Op == syntax.OpLiteral {
		if l.suffix, ok = asciiLiteral(subs[len(subs)-1]); !ok {
			return nil
		}
		subs = subs[:len(subs)-1]
	}
	if len(subs) != 1 || subs[0].Op != syntax.OpCapture || subs[0].Cap != 1 {
		return nil
	}
	plus := subs[0].Sub[0]
	if plus.Op != syntax.OpPlus || plus.Flags&syntax.NonGreedy != 0 || plus.Sub[0].Op != syntax.OpCharClass {
		return nil
	}
	cls := plus.Sub[0].Rune
	for i := 0; i+1 < len(cls); i += 2 {
		if cls[i] < 0 || cls[i+1] >= 0x80 || cls[i] > cls[i+1] {
			return nil
		}
		for c := cls[i]; c <= cls[i+1]; c++ {
			l.class[c/64] |= 1 << (c % 64)
		}
	}
	if l.suffix != "" && l.in(l.suffix[0]) {
		return nil // the run could end early: regexp's backtracking decides
	}
	return l
}

// asciiLiteral returns the text of a case-sensitive literal of ASCII runes.
func asciiLiteral(re *syntax.Regexp) (string, bool) {
	if re.Flags&syntax.FoldCase != 0 {
		return "", false
	}
	b := make([]byte, len(re.Rune))
	for i, r := range re.Rune {
		if r < 0 || r >= 0x80 {
			return "", false
		}
		b[i] = byte(r)
	}
	return string(b), true
}

// in reports whether byte c is in the class.
func (l *litRE) in(c byte) bool {
	return c < 0x80 && l.class[c/64]&(1<<(c%64)) != 0
}

// find returns what FindStringSubmatchIndex returns, as the whole match
// [m0, m1) and the group [g0, g1); ok is false when s does not match.
func (l *litRE) find(s string) (m0, m1, g0, g1 int, ok bool) {
	from := 0 // the first start not yet ruled out
	for from <= len(s) {
		i := from
		if l.prefix != "" {
			k := strings.Index(s[from:], l.prefix)
			if k < 0 {
				return 0, 0, 0, 0, false
			}
			i = from + k
		} else if !l.begin {
			for i < len(s) && !l.in(s[i]) {
				i++
			}
		}
		if l.begin && i != 0 {
			return 0, 0, 0, 0, false
		}
		j := i + len(l.prefix)
		k := j
		for k < len(s) && l.in(s[k]) {
			k++
		}
		if k > j && strings.HasPrefix(s[k:], l.suffix) && (!l.end || k+len(l.suffix) == len(s)) {
			return i, k + len(l.suffix), j, k, true
		}
		if l.begin {
			return 0, 0, 0, 0, false
		}
		// Every later start whose run begins at or before k ends its run
		// at k too, and fails as this one did.
		from = max(i+1, k+1-len(l.prefix))
	}
	return 0, 0, 0, 0, false
}
