package normalize

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/counternet/counternet/internal/pipeline"
)

// ErrUnparsable marks raw text a parser could not read; every parse error
// wraps it.
var ErrUnparsable = errors.New("unparsable")

// maxInput bounds the raw text a parser looks at; fields longer than this
// are not money, counts or dates.
const maxInput = 4 << 10

func unparsable(what, raw, why string) error {
	if len(raw) > 64 {
		raw = cut(raw, 64) + "..."
	}
	return fmt.Errorf("%w %s %q: %s", ErrUnparsable, what, raw, why)
}

// numRE matches a number as written on a page: digits with '.' or ','
// separators, or groups of three digits separated by a space, apostrophe or
// no-break space ("1 234,56", "1'234.56").
var numRE = regexp.MustCompile(`\d+(?:[.,]\d+|[ '\x{00A0}\x{202F}]\d{3}\b)*`)

// number reads one number token matched by numRE. Separators: when both '.'
// and ',' occur the last one is the decimal mark; several of the same mark
// are thousands separators; a single ',' followed by exactly three digits
// (and not after a lone 0) separates thousands, otherwise it is the decimal
// mark; a single '.' is the decimal mark, except in integer context
// (intContext) where it is read like ','.
func number(tok string, intContext bool) (float64, error) {
	tok = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\'', '\u00a0', '\u202f':
			return -1
		}
		return r
	}, tok)
	commas, dots := strings.Count(tok, ","), strings.Count(tok, ".")
	var s string
	switch {
	case commas > 0 && dots > 0:
		dec := byte('.')
		if strings.LastIndexByte(tok, ',') > strings.LastIndexByte(tok, '.') {
			dec = ','
		}
		thou := map[byte]byte{'.': ',', ',': '.'}[dec]
		i := strings.LastIndexByte(tok, dec)
		if strings.IndexByte(tok[i+1:], thou) >= 0 || strings.Count(tok, string(dec)) > 1 {
			return 0, fmt.Errorf("mixed separators in %q", tok)
		}
		intPart, err := thousands(tok[:i], thou)
		if err != nil {
			return 0, err
		}
		s = intPart + "." + tok[i+1:]
	case commas+dots == 0:
		s = tok
	default:
		mark := byte(',')
		if dots > 0 {
			mark = '.'
		}
		n := commas + dots
		i := strings.IndexByte(tok, mark)
		lone := n == 1 && (len(tok)-i-1 != 3 || tok[:i] == "0" || (mark == '.' && !intContext))
		if lone {
			s = tok[:i] + "." + tok[i+1:]
		} else {
			var err error
			if s, err = thousands(tok, mark); err != nil {
				return 0, err
			}
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a number", tok)
	}
	return v, nil
}

// thousands removes thousands separators sep from s after checking that
// every group after the first has three digits.
func thousands(s string, sep byte) (string, error) {
	groups := strings.Split(s, string(sep))
	for i, g := range groups {
		if g == "" || (i > 0 && len(g) != 3) {
			return "", fmt.Errorf("%q has misplaced thousands separators", s)
		}
	}
	return strings.Join(groups, ""), nil
}

// currencySymbols maps currency signs to codes, longest first. "฿" (the
// Thai baht sign) and "Ƀ" are what markets use for bitcoin; "¥" is read as
// JPY.
var currencySymbols = []struct{ sym, code string }{
	{"USD$", "USD"}, {"US$", "USD"}, {"AU$", "AUD"}, {"CA$", "CAD"}, {"A$", "AUD"}, {"C$", "CAD"},
	{"$", "USD"}, {"€", "EUR"}, {"£", "GBP"}, {"¥", "JPY"}, {"₽", "RUB"}, {"₿", "BTC"}, {"฿", "BTC"},
	{"Ƀ", "BTC"}, {"ɱ", "XMR"}, {"Ł", "LTC"}, {"Ξ", "ETH"}, {"₹", "INR"}, {"₺", "TRY"}, {"₴", "UAH"},
	{"zł", "PLN"}, {"kr", "SEK"},
}

// currencyWords maps lower-case currency codes and names to codes.
var currencyWords = map[string]string{
	"usd": "USD", "eur": "EUR", "gbp": "GBP", "cad": "CAD", "aud": "AUD", "chf": "CHF", "jpy": "JPY",
	"cny": "CNY", "rub": "RUB", "sek": "SEK", "nok": "NOK", "dkk": "DKK", "pln": "PLN", "czk": "CZK",
	"huf": "HUF", "nzd": "NZD", "brl": "BRL", "mxn": "MXN", "inr": "INR", "zar": "ZAR", "try": "TRY",
	"uah": "UAH", "ron": "RON", "bgn": "BGN", "hkd": "HKD", "sgd": "SGD", "krw": "KRW", "thb": "THB",
	"btc": "BTC", "xbt": "BTC", "mbtc": "mBTC", "ubtc": "uBTC", "µbtc": "uBTC", "μbtc": "uBTC", "xmr": "XMR", "ltc": "LTC", "eth": "ETH", "bch": "BCH", "usdt": "USDT",
	"usdc": "USDC", "dash": "DASH", "zec": "ZEC", "doge": "DOGE",
	"dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP",
	"bitcoin": "BTC", "bitcoins": "BTC", "monero": "XMR", "litecoin": "LTC", "ethereum": "ETH",
}

func currencyBefore(pre string) string {
	pre = strings.TrimRightFunc(pre, unicode.IsSpace)
	for _, cs := range currencySymbols {
		if strings.HasSuffix(pre, cs.sym) {
			if isLetters(cs.sym) && len(pre) > len(cs.sym) {
				r, _ := utf8.DecodeLastRuneInString(pre[:len(pre)-len(cs.sym)])
				if unicode.IsLetter(r) {
					continue
				}
			}
			return cs.code
		}
	}
	i := len(pre)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(pre[:i])
		if !unicode.IsLetter(r) {
			break
		}
		i -= size
	}
	return currencyWords[strings.ToLower(pre[i:])]
}

// currencyAfter reads a currency sign, code or name at the start of post
// (after spaces) and returns its code and the bytes it took, spaces
// included; "" when there is none.
func currencyAfter(post string) (string, int) {
	trimmed := strings.TrimLeftFunc(post, unicode.IsSpace)
	skip := len(post) - len(trimmed)
	for _, cs := range currencySymbols {
		if strings.HasPrefix(trimmed, cs.sym) {
			if isLetters(cs.sym) {
				r, _ := utf8.DecodeRuneInString(trimmed[len(cs.sym):])
				if unicode.IsLetter(r) {
					continue
				}
			}
			return cs.code, skip + len(cs.sym)
		}
	}
	i := 0
	for i < len(trimmed) {
		r, size := utf8.DecodeRuneInString(trimmed[i:])
		if !unicode.IsLetter(r) {
			break
		}
		i += size
	}
	if code := currencyWords[strings.ToLower(trimmed[:i])]; code != "" {
		return code, skip + i
	}
	return "", 0
}

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// Int reads the first whole number in raw: "1,234", "1234 sales",
// "(1.2k)", "3M". A k or M right after the number multiplies by a thousand
// or a million; a fraction that does not come out whole is an error.
func Int(raw string) (int64, error) {
	if len(raw) > maxInput {
		return 0, unparsable("integer", raw, "too long")
	}
	loc := numRE.FindStringIndex(raw)
	if loc == nil {
		return 0, unparsable("integer", raw, "no number")
	}
	tok, rest := raw[loc[0]:loc[1]], strings.TrimLeft(raw[loc[1]:], " ")
	mult := 1.0
	if len(rest) > 0 {
		next, size := utf8.DecodeRuneInString(rest[1:])
		if size == 0 || !unicode.IsLetter(next) {
			switch rest[0] {
			case 'k', 'K':
				mult = 1e3
			case 'm', 'M':
				mult = 1e6
			}
		}
	}
	v, err := number(tok, mult == 1)
	if err != nil {
		return 0, unparsable("integer", raw, err.Error())
	}
	v *= mult
	r := math.Round(v)
	if math.Abs(v-r) > 1e-9*math.Max(1, v) {
		return 0, unparsable("integer", raw, "not a whole number")
	}
	if r >= math.MaxInt64 {
		return 0, unparsable("integer", raw, "out of range")
	}
	return int64(r), nil
}

// Float reads the first number in raw ("4.5", "10g", "0,5 g"); separators
// as in Money.
func Float(raw string) (float64, error) {
	if len(raw) > maxInput {
		return 0, unparsable("number", raw, "too long")
	}
	tok := numRE.FindString(raw)
	if tok == "" {
		return 0, unparsable("number", raw, "no number")
	}
	v, err := number(tok, false)
	if err != nil {
		return 0, unparsable("number", raw, err.Error())
	}
	return v, nil
}

// Rating reads a rating and returns it on a 0-5 scale: "4.87★" and "4.87"
// are taken as out of 5, "9.5/10" is scaled by its maximum (to 4.75), "98%"
// is divided by 20 (to 4.9), and text of stars alone ("★★★★☆") counts the
// filled stars. A bare number above 5 or a result outside 0-5 is an error.
func Rating(raw string) (float64, error) {
	if len(raw) > maxInput {
		return 0, unparsable("rating", raw, "too long")
	}
	loc := numRE.FindStringIndex(raw)
	if loc == nil {
		if n := strings.Count(raw, "★"); n > 0 && n <= 5 {
			return float64(n), nil
		}
		return 0, unparsable("rating", raw, "no number")
	}
	v, err := number(raw[loc[0]:loc[1]], false)
	if err != nil {
		return 0, unparsable("rating", raw, err.Error())
	}
	rest := strings.TrimLeft(raw[loc[1]:], " ")
	switch {
	case strings.HasPrefix(rest, "%"):
		v /= 20
	case strings.HasPrefix(rest, "/"):
		max := numRE.FindString(strings.TrimLeft(rest[1:], " "))
		m, err := number(max, false)
		if max == "" || err != nil || m <= 0 || !strings.HasPrefix(strings.TrimLeft(rest[1:], " "), max) {
			return 0, unparsable("rating", raw, "no scale after '/'")
		}
		v = v / m * 5
	}
	if v < 0 || v > 5 {
		return 0, unparsable("rating", raw, "outside 0-5 (give a scale such as /10 or %)")
	}
	return math.Round(v*1000) / 1000, nil
}

// Fingerprint reads a PGP key fingerprint: 40 hex digits, spaces (and a
// leading "0x") allowed, returned in upper case. Text around it, such as a
// "Fingerprint:" label, is allowed when it holds exactly one 40-digit run.
func Fingerprint(raw string) (string, error) {
	if len(raw) > maxInput {
		return "", unparsable("fingerprint", raw, "too long")
	}
	s := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, raw)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	var found string
	n := 0
	for _, run := range strings.FieldsFunc(s, func(r rune) bool { return !isHex(r) }) {
		if len(run) == 40 {
			found = run
			n++
		}
	}
	if n != 1 {
		return "", unparsable("fingerprint", raw, "want exactly one run of 40 hex digits")
	}
	return strings.ToUpper(found), nil
}

func isHex(r rune) bool {
	return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F')
}

// Date reads a calendar date (UTC midnight) found anywhere in raw, as
// DateIn reads it with day-first numeric dates and no capture time:
// "2024-03-01" (also the date of an RFC 3339 time, taken in UTC),
// "01/03/2024" and "01.03.2024" as DD/MM/YYYY, "1 March 2024", "March 1,
// 2024", "21 ноября 2017", and "Mar 2024" (the first of the month).
// Relative dates ("yesterday") need a capture time and are errors here, as
// are years outside 1990-2100. Callers that know the capture time and the
// site's locale call DateIn.
func Date(raw string) (time.Time, error) {
	t, _, err := DateIn(raw, time.Time{}, pipeline.Locale{DateOrder: OrderDMY})
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
}

var (
	trueWords = map[string]bool{
		"yes": true, "y": true, "true": true, "1": true, "on": true, "escrow": true, "enabled": true,
		"available": true, "supported": true, "✓": true, "✔": true, "☑": true, "✅": true, "ja": true, "si": true, "oui": true,
	}
	falseWords = map[string]bool{
		"no": true, "n": true, "false": true, "0": true, "off": true, "none": true, "disabled": true,
		"unavailable": true, "fe": true, "finalize early": true, "no escrow": true, "✗": true, "✘": true,
		"❌": true, "x": true, "nein": true, "non": true,
	}
)

// Bool reads a yes/no value: "yes", "true", "escrow", "✓" are true; "no",
// "false", "FE" (finalize early), "no escrow", "✗" are false; anything else
// is an error. Case and surrounding punctuation are ignored.
func Bool(raw string) (bool, error) {
	if len(raw) > maxInput {
		return false, unparsable("yes/no", raw, "too long")
	}
	s := strings.ToLower(strings.Join(strings.Fields(raw), " "))
	s = strings.Trim(s, ".!:;,()[]")
	s = strings.TrimSpace(s)
	switch {
	case falseWords[s]:
		return false, nil
	case trueWords[s]:
		return true, nil
	case strings.Contains(s, "no escrow") || strings.Contains(s, "finalize early") || strings.Contains(s, "without escrow"):
		return false, nil
	case strings.Contains(s, "escrow"):
		return true, nil
	}
	return false, unparsable("yes/no", raw, "not a yes or no")
}

// cut returns s cut to at most max bytes on a UTF-8 boundary.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// feRE finds a finalize-early statement; noFERE one that denies it.
var (
	feRE   = regexp.MustCompile(`(?i)\b(?:fe|finali[sz]e[sd]?\s+early|finali[sz]ing\s+early|early\s+finali[sz]ation)\b`)
	noFERE = regexp.MustCompile(`(?i)\b(?:no|not|never|without)\s+(?:fe|finali[sz]e\s+early|early\s+finali[sz]ation)\b|\b(?:fe|finali[sz]e\s+early)\s*(?:[:=]\s*)?(?:no|not\s+(?:allowed|required|accepted|possible)|disabled|never|✗|✘|❌)(?:\W|$)`)
)

// FinalizeEarly reads whether a listing or vendor requires or allows
// finalize early (paying the vendor before delivery): "FE Required", "FE
// Listing", "100% FE", "Finalize Early", "FE: Yes", "WE REQUIRE EVERYONE TO
// FINALIZE EARLY" are true; "No FE", "FE: No", "FE not allowed", "Escrow",
// "Escrow only", "Full escrow" are false; a bare yes or no ("No", "✓")
// reads as Bool does, for a field labelled FE on the page. Anything else is
// an error wrapping ErrUnparsable.
func FinalizeEarly(raw string) (bool, error) {
	if len(raw) > maxInput {
		return false, unparsable("finalize early", raw, "too long")
	}
	s := strings.ToLower(strings.Join(strings.Fields(raw), " "))
	switch {
	case noFERE.MatchString(s):
		return false, nil
	case feRE.MatchString(s):
		return true, nil
	case strings.Contains(s, "escrow"):
		return false, nil
	}
	t := strings.TrimSpace(strings.Trim(s, ".!:;,()[]"))
	switch {
	case falseWords[t]:
		return false, nil
	case trueWords[t]:
		return true, nil
	}
	return false, unparsable("finalize early", raw, "no finalize-early statement")
}
