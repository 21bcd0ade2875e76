package normalize

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// dtok is one token of a date text: a run of digits or a word (letters,
// with ' and - inside: "aujourd'hui", "avant-hier", "segunda-feira").
type dtok struct {
	s          string
	start, end int
	num        bool
}

// maxDateTokens bounds the tokens a date text is split into.
const maxDateTokens = 64

// dateTokens splits a cleaned date text into tokens; punctuation and
// spaces separate them and are dropped.
func dateTokens(s string) []dtok {
	var out []dtok
	for i := 0; i < len(s) && len(out) < maxDateTokens; {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case isDigit(s[i]):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			out = append(out, dtok{s[i:j], i, j, true})
			i = j
		case unicode.IsLetter(r):
			j := i + n
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if unicode.IsLetter(r2) || ((r2 == '\'' || r2 == '-') && letterAt(s, j+n2)) {
					j += n2
					continue
				}
				break
			}
			out = append(out, dtok{s[i:j], i, j, false})
			i = j
		default:
			i += n
		}
	}
	return out
}

// dayWord finds "today", "yesterday" or a weekday in any of the nine
// languages.
func (d *dateCtx) dayWord(toks []dtok) (y, m, day int, rest string, found bool, err error) {
	s := d.s
	for i, t := range toks {
		if t.num {
			continue
		}
		back, ok := dayWords[t.s]
		start := t.start
		if ok && t.s == "ieri" && i > 0 && toks[i-1].s == "l'altro" {
			back, start = 2, toks[i-1].start
		}
		wd, isWeekday := weekdayWords[t.s]
		if !ok && !isWeekday {
			continue
		}
		if d.captured.IsZero() {
			return 0, 0, 0, "", false, errors.New("a relative date needs the capture time")
		}
		now := d.captured.In(d.zone)
		if !ok {
			back = (int(now.Weekday()) - int(wd) + 7) % 7
			if back == 0 {
				back = 7
			}
		}
		t0 := time.Date(now.Year(), now.Month(), now.Day()-back, 0, 0, 0, 0, time.UTC)
		return t0.Year(), int(t0.Month()), t0.Day(), s[:start] + " " + s[t.end:], true, nil
	}
	return 0, 0, 0, "", false, nil
}

// age is a sum of counts of units read from a date text.
type age struct {
	dur          time.Duration // seconds, minutes, hours
	days, months int
	fine         bool // has seconds, minutes or hours
	n            int  // count-unit pairs read
}

func (a *age) add(count int, unit byte) {
	a.n++
	switch unit {
	case 's':
		a.dur += time.Duration(count) * time.Second
		a.fine = true
	case 'm':
		a.dur += time.Duration(count) * time.Minute
		a.fine = true
	case 'h':
		a.dur += time.Duration(count) * time.Hour
		a.fine = true
	case 'D':
		a.days += count
	case 'W':
		a.days += 7 * count
	case 'M':
		a.months += count
	case 'Y':
		a.months += 12 * count
	}
}

// relative reads "now" words and ages: "3 days ago", "hace 2 días", "il
// y a 3 jours", "un'ora fa", "1 day, 23 hours".
func (d *dateCtx) relative(toks []dtok) (time.Time, bool, error) {
	if nowWords[strings.Trim(d.s, " .!:")] {
		if d.captured.IsZero() {
			return d.fail("a relative date needs the capture time")
		}
		return d.captured.UTC(), true, nil
	}
	var a age
	used := make([]bool, len(toks))
	ago := false
	for i, t := range toks {
		if t.num {
			continue
		}
		w := t.s
		if agoWords[w] || (w == "a" && i >= 2 && toks[i-2].s == "il" && toks[i-1].s == "y") {
			ago = true
			used[i] = true
			if w == "a" {
				used[i-1], used[i-2] = true, true
			}
			continue
		}
		if pre, unitWord, ok := strings.Cut(w, "'"); ok && countWords[pre] && ageUnits[unitWord] != 0 {
			a.add(1, ageUnits[unitWord]) // "un'ora"
			used[i] = true
			continue
		}
		unit := ageUnits[w]
		if unit == 0 {
			continue
		}
		count := 1
		switch {
		case i > 0 && toks[i-1].num && !used[i-1]:
			c, err := strconv.Atoi(toks[i-1].s)
			if err != nil || c > 100*366 {
				return d.fail("too far back")
			}
			count = c
			used[i-1] = true
		case len(w) <= 2 && w != "ч":
			continue // "s", "m", "y" alone are no unit
		case i > 0 && vagueWords[toks[i-1].s]:
			if unit != 's' && unit != 'm' {
				return d.fail("a vague age (\"a few\") is only read for seconds and minutes")
			}
			used[i-1] = true
			if i > 1 && (toks[i-2].s == "a" || toks[i-2].s == "ein") {
				used[i-2] = true
			}
		case i > 0 && countWords[toks[i-1].s]:
			used[i-1] = true
		}
		used[i] = true
		a.add(count, unit)
	}
	if a.n == 0 {
		return d.fail("no date in a known form")
	}
	if !ago {
		for i, t := range toks {
			if !used[i] && (t.num || !fillerWords[t.s]) {
				return d.fail("no date in a known form")
			}
		}
	}
	if d.captured.IsZero() {
		return d.fail("a relative date needs the capture time")
	}
	if a.months > 1200 || a.days > 36600 || a.dur > maxAgo {
		return d.fail("too far back")
	}
	var t time.Time
	// An age stated to the hour or finer ("1 day, 23 hours") keeps its
	// time; a whole number of days, weeks or months gives a day.
	hasTime := a.fine && a.months == 0
	if hasTime {
		t = d.captured.UTC().AddDate(0, 0, -a.days).Add(-a.dur)
	} else {
		l := d.captured.In(d.zone).AddDate(0, -a.months, -a.days).Add(-a.dur)
		t = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	}
	if t.Year() < minYear || t.Year() > maxYear {
		return d.fail("the age reaches outside 1990-2100")
	}
	return t, hasTime, nil
}
