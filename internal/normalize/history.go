package normalize

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// HistoryClaim is a vendor's claim of a record on another market: "Dream
// 3700 deals, 4.82/5".
type HistoryClaim struct {
	// Market is the market named, as written ("Dream", "AlphaBay").
	Market string
	// Sales is the number of sales, deals, orders or transactions claimed;
	// 0 when none is given.
	Sales int64
	// Rating is the rating claimed on the scale RatingMax ("4.82/5" is 4.82
	// of 5, "98%" 98 of 100, "9.8/10" 9.8 of 10); both 0 when none.
	Rating, RatingMax float64
	// Raw is the text of the claim.
	Raw string
}

// knownMarkets are market names a claim may start with; any other name is
// taken when it stands before a sales count in its own part of the text.
var knownMarkets = []string{
	"silk road 2", "silk road 3", "silk road", "sr2", "sr1", "sr3", "agora", "evolution", "evo", "alphabay",
	"alpha bay", "dream market", "dream", "hansa", "wall street market", "wallstreet", "wsm", "empire",
	"nucleus", "abraxas", "valhalla", "berlusconi", "cannazon", "dark0de", "darkode", "versus", "torrez",
	"white house", "whm", "monopoly", "cryptonia", "apollon", "tochka", "olympus", "pandora",
	"blackbank", "middle earth", "outlaw", "oasis", "crypto market", "cryptomarket", "hydra", "ramp",
	"sheep", "bmr", "black market reloaded", "utopia", "tor market", "bitbazaar", "dark market",
	"asap", "incognito", "archetyp", "abacus", "bohemia", "kingdom", "nexus", "mgm", "vice city",
	"tor2door", "cartel", "darkfox", "televend", "blacksprut", "solaris", "cgmc",
	"grams", "diabolus", "doctor evil", "the majestic garden", "tmg", "samsara",
	"dream", "libertas", "zion", "trade route", "traderoute", "rapture", "silkkitie", "valhalla",
	"german plaza", "deutschland im deep web", "didw", "majestic garden", "mr nice guy", "nice guy",
	"pax romana", "europa", "yellow brick", "square market", "cypher", "blackry", "drugmarket",
}

var (
	// claimSepRE splits a text of several claims.
	claimSepRE = regexp.MustCompile(`\s*(?:[;|\n•]|\s\+\s|\s/\s)\s*`)
	salesRE    = regexp.MustCompile(`(?i)(\d[\d,.' ]*\d|\d)\s*\+?\s*(?:k\s+)?(?:deals?|sales?|orders?|transactions?|trades?|feedbacks?|reviews?|ratings?|verkäufe|ventes|ventas|vendas|vendite|sprzedaży|продаж\pL*|сделок|заказ\pL*|tx)\b`)
	ratingRE   = regexp.MustCompile(`(\d{1,3}(?:[.,]\d{1,3})?)\s*(?:/\s*(\d{1,3}(?:[.,]\d)?)|(%)|\s*(?:stars?|★))`)
	leadNameRE = regexp.MustCompile(`^\s*(?:on\s+|at\s+|from\s+)?([\pL][\pL\d .'\-]{0,30}?)\s*(?i:market(?:place)?)?\s*[:\-–(]?\s*\d`)
)

// HistoryClaims reads the claims of history on other markets a vendor
// profile or listing makes: "Dream 3700 deals, 4.82/5; Agora 1200 sales",
// "Agora: 1200 sales 98%", "AlphaBay (500+ orders, 4.9 stars)". Each claim
// names a market (a known name anywhere, or the words before its first
// number in a part of the text split on ";", "|", "/", "+" and line ends)
// and at least a sales count or a rating. Ratings are kept on the scale
// written. At most 64 claims are read; text past 16 KiB is not read.
func HistoryClaims(text string) []HistoryClaim {
	const maxClaims, maxText = 64, 16 << 10
	if len(text) > maxText {
		text = cut(text, maxText)
	}
	var out []HistoryClaim
	for _, part := range claimSepRE.Split(text, -1) {
		for _, seg := range splitAtMarkets(part) {
			if c, ok := readClaim(seg); ok {
				out = append(out, c)
				if len(out) == maxClaims {
					return out
				}
			}
		}
	}
	return out
}

// splitAtMarkets splits a part that names several known markets ("Dream
// 3700 deals, 4.82/5, Agora 1200 sales") at each name.
func splitAtMarkets(part string) []string {
	locs := findMarkets(part, 16)
	if len(locs) < 2 {
		return []string{part}
	}
	var out []string
	prev := 0
	for _, l := range locs[1:] {
		out = append(out, part[prev:l[0]])
		prev = l[0]
	}
	return append(out, part[prev:])
}

// findMarkets returns the byte spans of known market names in s, as whole
// words, in order of position (the longest name at a position), at most
// limit. It scans with strings.Index, not a regexp alternation, so long
// texts stay cheap.
func findMarkets(s string, limit int) [][2]int {
	lower := strings.ToLower(s)
	if len(lower) != len(s) {
		lower = asciiLower(s) // keep byte offsets of s
	}
	var found [][2]int
	for _, name := range knownMarkets {
		for from := 0; from < len(lower); {
			i := strings.Index(lower[from:], name)
			if i < 0 {
				break
			}
			i += from
			j := i + len(name)
			if !letterBefore(s, i) && (i == 0 || !isDigit(s[i-1])) && !letterAt(s, j) {
				found = append(found, [2]int{i, j})
			}
			from = j
		}
	}
	slices.SortFunc(found, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return b[1] - a[1]
	})
	var out [][2]int
	for _, f := range found {
		if len(out) > 0 && f[0] < out[len(out)-1][1] {
			continue // inside a longer name ("dream" in "dream market")
		}
		out = append(out, f)
		if len(out) == limit {
			break
		}
	}
	return out
}

// asciiLower lower-cases ASCII letters only, so offsets do not move.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func readClaim(seg string) (HistoryClaim, bool) {
	seg = strings.TrimFunc(seg, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == '.' })
	c := HistoryClaim{Raw: cut(seg, 200)}
	if locs := findMarkets(seg, 1); len(locs) > 0 {
		c.Market = seg[locs[0][0]:locs[0][1]]
	} else if m := leadNameRE.FindStringSubmatch(seg); m != nil {
		c.Market = strings.TrimSpace(m[1])
	}
	if c.Market == "" {
		return c, false
	}
	rest := seg
	if m := salesRE.FindStringSubmatchIndex(seg); m != nil {
		if n, err := Int(seg[m[2]:m[3]]); err == nil {
			c.Sales = n
			if strings.Contains(strings.ToLower(seg[m[3]:m[1]]), "k ") {
				c.Sales *= 1000
			}
		}
		rest = seg[:m[0]] + " " + seg[m[1]:]
	}
	if m := ratingRE.FindStringSubmatch(rest); m != nil {
		v, err := number(m[1], false)
		if err == nil {
			switch {
			case m[2] != "":
				if max, err := number(m[2], false); err == nil && max > 0 && v <= max {
					c.Rating, c.RatingMax = v, max
				}
			case m[3] != "":
				if v <= 100 {
					c.Rating, c.RatingMax = v, 100
				}
			default:
				if v <= 5 {
					c.Rating, c.RatingMax = v, 5
				}
			}
		}
	}
	return c, c.Sales > 0 || c.RatingMax > 0
}

// Percent reads a percentage: "98.5%", "( 99.3% )", "(102T / 99.0%)",
// "Positive: 100 %", "98,5 %". The number written with a percent sign
// wins; a text that is only a number ("98.5") is read as a percentage
// too. The result is 0-100; anything else is an error wrapping
// ErrUnparsable.
func Percent(raw string) (float64, error) {
	if len(raw) > maxInput {
		return 0, unparsable("percentage", raw, "too long")
	}
	s := strings.TrimSpace(raw)
	for _, loc := range numRE.FindAllStringIndex(s, 16) {
		after := strings.TrimLeft(s[loc[1]:], " \u00a0")
		if !strings.HasPrefix(after, "%") && !strings.HasPrefix(after, "\uff05") {
			continue
		}
		return percentValue(raw, s, loc)
	}
	if loc := numRE.FindStringIndex(s); loc != nil && strings.Trim(s[:loc[0]]+s[loc[1]:], " ()+") == "" {
		return percentValue(raw, s, loc)
	}
	return 0, unparsable("percentage", raw, "no number with a percent sign")
}

func percentValue(raw, s string, loc []int) (float64, error) {
	v, err := number(s[loc[0]:loc[1]], false)
	if err != nil {
		return 0, unparsable("percentage", raw, err.Error())
	}
	v = signed(s, loc[0], v)
	if v < 0 || v > 100 {
		return 0, unparsable("percentage", raw, "outside 0-100")
	}
	return v, nil
}
