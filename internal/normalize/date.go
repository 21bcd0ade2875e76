package normalize

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // IANA zones of site locales work on hosts without a zoneinfo database

	"github.com/counternet/counternet/internal/pipeline"
)

// Date orders a site's locale may give for numeric dates.
const (
	OrderDMY = "DMY"
	OrderMDY = "MDY"
	OrderYMD = "YMD"
)

// minYear and maxYear bound the years a date may name.
const (
	minYear = 1990
	maxYear = 2100
)

// DateIn reads a date (and time, when the text has one) a page shows and
// returns it in UTC. captured is the capture time, against which relative
// forms are resolved; loc is the site's locale: DateOrder decides numeric
// dates whose day and month could be swapped ("03/04/2017"; without an
// order such a date is an error, not a guess; "21/11/2017" needs none),
// TimeZone is the zone of times written without one (UTC when empty).
//
// Forms read, found anywhere in raw:
//   - epoch seconds (or milliseconds) when raw is only the number:
//     "1511291100" (XenForo data-time);
//   - ISO and numeric dates with an optional time and zone:
//     "2017-11-21T22:05:00+0300", "2014-01-14 05:17:37", "12-26-2016,
//     05:23 AM", "21.11.17 12:30" (two-digit years are 19xx from 70 on,
//     20xx below);
//   - month names and abbreviations in English, Russian, German, Spanish,
//     French, Dutch, Polish, Portuguese and Italian: "Nov 21, 2017 at
//     10:05 PM", "21 ноября 2017", "21. November 2017", "21 de noviembre
//     de 2017"; without a year, the latest such day not after the capture;
//   - day words and weekdays with an optional time: "Today at 10:05 PM",
//     "Вчера, 12:30", "gestern", "Sunday at 9:19 PM" (the latest such
//     weekday before the capture day);
//   - relative ages: "3 days ago", "hace 2 días", "il y a 3 jours", "3
//     dagen geleden", "vor 2 Stunden", "2 giorni fa", "há 2 dias", "3 dni
//     temu", "5 минут назад", and bare ages as vendor pages show a last
//     seen ("1 day, 23 hours").
//
// A time without a zone is read in the locale's zone; a zone in the text
// ("+03:00", "UTC", "GMT+2", "MSK") wins. hasTime is false when the text
// gives only a day: t is then that calendar day at 00:00 UTC, whatever
// the zone, so the day is never moved by a conversion. Ages in whole
// days, weeks or months give a day (hasTime false); ages stated to the hour
// or finer ("1 day, 23 hours") the captured instant minus
// the age. Relative forms without a capture time, impossible dates, years
// outside 1990-2100 and text with no date are errors wrapping
// ErrUnparsable.
func DateIn(raw string, captured time.Time, loc pipeline.Locale) (t time.Time, hasTime bool, err error) {
	if len(raw) > maxInput {
		return time.Time{}, false, unparsable("date", raw, "too long")
	}
	zone, err := ZoneOf(loc.TimeZone)
	if err != nil {
		return time.Time{}, false, unparsable("date", raw, err.Error())
	}
	switch loc.DateOrder {
	case "", OrderDMY, OrderMDY, OrderYMD:
	default:
		return time.Time{}, false, unparsable("date", raw, fmt.Sprintf("unknown date order %q (want DMY, MDY or YMD)", loc.DateOrder))
	}
	s := cleanDate(raw)
	if s == "" {
		return time.Time{}, false, unparsable("date", raw, "empty")
	}
	d := dateCtx{raw: raw, s: s, captured: captured, zone: zone, order: loc.DateOrder}
	return d.parse()
}

// dateCtx is one DateIn call.
type dateCtx struct {
	raw      string
	s        string // cleaned text
	captured time.Time
	zone     *time.Location
	order    string
}

func (d *dateCtx) fail(why string) (time.Time, bool, error) {
	return time.Time{}, false, unparsable("date", d.raw, why)
}

// cleanDate lower-cases raw, turns no-break and other spaces into plain
// spaces and collapses them.
func cleanDate(raw string) string {
	s := strings.ToLower(raw)
	s = strings.NewReplacer("’", "'", "`", "'", "\u2009", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

var epochRE = regexp.MustCompile(`^\d{9,13}$`)

func (d *dateCtx) parse() (time.Time, bool, error) {
	if epochRE.MatchString(d.s) {
		n, _ := strconv.ParseInt(d.s, 10, 64)
		var t time.Time
		if len(d.s) >= 12 {
			t = time.UnixMilli(n).UTC()
		} else {
			t = time.Unix(n, 0).UTC()
		}
		if t.Year() < minYear || t.Year() > maxYear {
			return d.fail("epoch seconds outside 1990-2100")
		}
		return t, true, nil
	}
	toks := dateTokens(d.s)
	y, m, day, rest, found, err := d.absolute(toks)
	if err != nil {
		return d.fail(err.Error())
	}
	if !found {
		var ok bool
		y, m, day, rest, ok, err = d.dayWord(toks)
		if err != nil {
			return d.fail(err.Error())
		}
		if !ok {
			return d.relative(toks)
		}
	}
	if y < minYear || y > maxYear {
		return d.fail("year outside 1990-2100")
	}
	if m < 1 || m > 12 || day < 1 || day > daysIn(y, time.Month(m)) {
		return d.fail("no such date")
	}
	clock, ok, err := findClock(rest)
	if err != nil {
		return d.fail(err.Error())
	}
	if !ok {
		return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC), false, nil
	}
	zone := d.zone
	if clock.zone != nil {
		zone = clock.zone
	}
	t := time.Date(y, time.Month(m), day, clock.h, clock.min, clock.sec, 0, zone)
	return t.UTC(), true, nil
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// numericDateRE finds digit dates: 2017-11-21, 21/11/2017, 11-21-17,
// 21.11.2017; the parts are checked after the match (digitGuard).
var numericDateRE = regexp.MustCompile(`(\d{1,4})([./-])(\d{1,2})([./-])(\d{1,4})`)

// absolute finds a date written with digits or a month name. rest is the
// text with the date taken out (for the time of day).
func (d *dateCtx) absolute(toks []dtok) (y, m, day int, rest string, found bool, err error) {
	for _, loc := range numericDateRE.FindAllStringSubmatchIndex(d.s, 8) {
		if !digitGuard(d.s, loc[0], loc[1]) || d.s[loc[4]:loc[5]] != d.s[loc[8]:loc[9]] {
			continue
		}
		a, b, c := d.s[loc[2]:loc[3]], d.s[loc[6]:loc[7]], d.s[loc[10]:loc[11]]
		y, m, day, err = d.numeric(a, b, c)
		if err != nil {
			return 0, 0, 0, "", false, err
		}
		return y, m, day, d.s[:loc[0]] + " " + d.s[loc[1]:], true, nil
	}
	return d.monthDate(toks)
}

// digitGuard reports whether s[i:j] is not glued to more digits.
func digitGuard(s string, i, j int) bool {
	return (i == 0 || !isDigit(s[i-1])) && (j == len(s) || !isDigit(s[j]))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// numeric reads the three parts of a digit date in the locale's order.
// Without an order, or when the form cannot have the locale's order (a
// four-digit year last under YMD), the date is read only when exactly one
// of the DMY, MDY and YMD readings is a real date ("15-04-2020",
// "12-26-16"); otherwise it is ambiguous and an error.
func (d *dateCtx) numeric(a, b, c string) (y, m, day int, err error) {
	ai, _ := strconv.Atoi(a)
	bi, _ := strconv.Atoi(b)
	ci, _ := strconv.Atoi(c)
	switch {
	case len(a) == 4 && len(c) <= 2:
		return ai, bi, ci, nil // YYYY-MM-DD
	case len(a) > 2 || len(c) == 3 || (len(c) != 4 && len(c) != 2):
		return 0, 0, 0, fmt.Errorf("%s-%s-%s is not a date", a, b, c)
	}
	yc := ci
	if len(c) == 2 {
		yc = twoDigitYear(ci)
	}
	readings := map[string][3]int{OrderDMY: {yc, bi, ai}, OrderMDY: {yc, ai, bi}}
	if len(a) == 2 && len(c) == 2 {
		readings[OrderYMD] = [3]int{twoDigitYear(ai), bi, ci}
	}
	if r, ok := readings[d.order]; ok {
		return r[0], r[1], r[2], nil
	}
	var real [][3]int
	for _, o := range []string{OrderDMY, OrderMDY, OrderYMD} {
		r, ok := readings[o]
		if ok && r[1] >= 1 && r[1] <= 12 && r[2] >= 1 && r[2] <= daysIn(r[0], time.Month(r[1])) && !slices.Contains(real, r) {
			real = append(real, r)
		}
	}
	switch len(real) {
	case 1:
		return real[0][0], real[0][1], real[0][2], nil
	case 0:
		return 0, 0, 0, fmt.Errorf("%s-%s-%s is no date in any order", a, b, c)
	}
	return 0, 0, 0, fmt.Errorf("%s-%s-%s reads as more than one date: set the site's locale date_order (DMY, MDY or YMD)", a, b, c)
}

// twoDigitYear reads "17" as 2017 and "98" as 1998.
func twoDigitYear(v int) int {
	if v >= 70 {
		return 1900 + v
	}
	return 2000 + v
}

// clock is a time of day found in a date text.
type clock struct {
	h, min, sec int
	zone        *time.Location // nil when the text names none
}

// clockRE finds "22:05", "22:05:00", "10:05 pm", "10:05 p.m.", "12h30",
// "22:05:00.123" and a zone right after it.
var clockRE = regexp.MustCompile(`(\d{1,2})(?::|h)(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(?:\s*(am|pm|a\.m\.|p\.m\.))?(?:\s*\(?(` + zonePattern + `)\)?)?`)

const zonePattern = `z|(?:utc|gmt)\s*[+-]\s*\d{1,2}(?::?\d{2})?|[+-]\d{2}(?::?\d{2})?|utc|gmt|msk|cet|cest|eet|eest|wet|west|bst|est|edt|cst|cdt|mst|mdt|pst|pdt`

// zoneAbbrevs are the zone abbreviations read after a time; each is taken
// as its fixed offset (a page writing "CET" in summer means CET).
var zoneAbbrevs = map[string]int{
	"z": 0, "utc": 0, "gmt": 0, "msk": 3, "cet": 1, "cest": 2, "eet": 2, "eest": 3, "wet": 0, "west": 1,
	"bst": 1, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
}

// hourRE finds a time of day written as an hour alone: "10 pm", "10pm".
var hourRE = regexp.MustCompile(`(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)(?:\s*\(?(` + zonePattern + `)\)?)?`)

func findClock(s string) (c clock, ok bool, err error) {
	c, ok, err = findClockMinutes(s)
	if ok || err != nil {
		return c, ok, err
	}
	for _, m := range hourRE.FindAllStringSubmatchIndex(s, 8) {
		if (m[0] > 0 && isDigit(s[m[0]-1])) || letterAt(s, m[5]) {
			continue
		}
		c = clock{}
		c.h, _ = strconv.Atoi(s[m[2]:m[3]])
		if c.h < 1 || c.h > 12 {
			return c, false, fmt.Errorf("hour %d with %s", c.h, s[m[4]:m[5]])
		}
		c.h %= 12
		if s[m[4]] == 'p' {
			c.h += 12
		}
		if m[6] >= 0 {
			if c.zone, err = zoneText(s[m[6]:m[7]]); err != nil {
				return c, false, err
			}
		}
		return c, true, nil
	}
	return c, false, nil
}

func findClockMinutes(s string) (c clock, ok bool, err error) {
	for _, m := range clockRE.FindAllStringSubmatchIndex(s, 8) {
		numEnd := m[5]
		if m[6] >= 0 {
			numEnd = m[7]
		}
		if (m[0] > 0 && isDigit(s[m[0]-1])) || (numEnd < len(s) && isDigit(s[numEnd])) {
			continue // part of a longer number
		}
		c.h, _ = strconv.Atoi(s[m[2]:m[3]])
		c.min, _ = strconv.Atoi(s[m[4]:m[5]])
		if m[6] >= 0 {
			c.sec, _ = strconv.Atoi(s[m[6]:m[7]])
		}
		if m[8] >= 0 {
			ampm := s[m[8]:m[9]]
			if c.h < 1 || c.h > 12 {
				return c, false, fmt.Errorf("hour %d with %s", c.h, ampm)
			}
			c.h %= 12
			if ampm[0] == 'p' {
				c.h += 12
			}
		}
		if c.h > 23 || c.min > 59 || c.sec > 59 {
			return c, false, fmt.Errorf("no such time of day")
		}
		if m[10] >= 0 {
			z, err := zoneText(s[m[10]:m[11]])
			if err != nil {
				return c, false, err
			}
			c.zone = z
		}
		return c, true, nil
	}
	return c, false, nil
}

// zoneText reads a zone written after a time: "z", "utc", "+03:00",
// "+0300", "gmt+2", "utc-05:30", "msk".
func zoneText(z string) (*time.Location, error) {
	z = strings.ReplaceAll(z, " ", "")
	if off, ok := zoneAbbrevs[z]; ok {
		return fixedZone(off*3600, strings.ToUpper(z)), nil
	}
	z = strings.TrimPrefix(strings.TrimPrefix(z, "utc"), "gmt")
	return offsetZone(z)
}

var offsetRE = regexp.MustCompile(`^([+-])(\d{1,2})(?::?(\d{2}))?$`)

// offsetZone reads "+03:00", "+0300", "+3", "-05:30".
func offsetZone(z string) (*time.Location, error) {
	m := offsetRE.FindStringSubmatch(z)
	if m == nil {
		return nil, fmt.Errorf("zone %q is not an offset", z)
	}
	h, _ := strconv.Atoi(m[2])
	mins := 0
	if m[3] != "" {
		mins, _ = strconv.Atoi(m[3])
	}
	if h > 14 || mins > 59 {
		return nil, fmt.Errorf("offset %q out of range", z)
	}
	off := h*3600 + mins*60
	if m[1] == "-" {
		off = -off
	}
	return fixedZone(off, ""), nil
}

func fixedZone(off int, name string) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if name == "" {
		sign := '+'
		o := off
		if o < 0 {
			sign, o = '-', -o
		}
		name = fmt.Sprintf("%c%02d:%02d", sign, o/3600, o%3600/60)
	}
	return time.FixedZone(name, off)
}

var zoneCache sync.Map // string -> *time.Location

// ZoneOf reads a site locale's time zone (pipeline.Locale.Location, the one
// reading validation also uses), cached per text.
func ZoneOf(tz string) (*time.Location, error) {
	if z, ok := zoneCache.Load(tz); ok {
		return z.(*time.Location), nil
	}
	z, err := pipeline.Locale{TimeZone: tz}.Location()
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: want an IANA name (Europe/Moscow) or an offset (+03:00)", cut(tz, 64))
	}
	zoneCache.Store(tz, z)
	return z, nil
}
