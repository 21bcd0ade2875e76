package normalize

import (
	"regexp"
	"strings"

	"github.com/counternet/counternet/internal/event"
)

// ShippingOption is one shipping option a listing offers.
type ShippingOption struct {
	// Method is what the page calls the option ("EMS", "Express",
	// "Germany", "EUROPE SIGNED AND TRACKED"), without cost and duration.
	Method string
	// Cost is what the option adds to the price; Amount 0 with Currency
	// empty when the option is free or states no cost.
	Cost event.Money
	// Duration is the delivery time as written ("2 days", "5-8 days",
	// "24h"), empty when none is given.
	Duration string
	// Destinations are the ISO 3166-1 alpha-2 codes of the places the
	// option names (regions expanded; "Worldwide" is every country,
	// "Outside EU" every country but the EU's), nil when it names none.
	Destinations []string
	// Raw is the line as given, trimmed.
	Raw string
}

var (
	durationRE = regexp.MustCompile(`(?i)(?:^|[^\pL\d.,])((?:\d{1,3}\s*(?:-|–|to)\s*)?\d{1,3}\s*(?:business\s+|working\s+)?(?:days?|d|hours?|hrs?|h|weeks?|wks?|w|tage|dias|días|jours|dagen|dni|giorni|дней|дня|день)|next\s+day|same\s+day|overnight)(?:[^\pL]|$)`)
	freeRE     = regexp.MustCompile(`(?i)\b(?:free|gratis|kostenlos|gratuit)\b`)
	// optionSepRE splits what is left of an option into its parts.
	optionSepRE = regexp.MustCompile(`\s+-{1,2}\s+|\s*[|()\[\]]\s*|\s+/\s+`)
	outsideRE   = regexp.MustCompile(`(?i)^(?:outside(?:\s+of)?|ausserhalb|außerhalb|fuera\s+de|hors)\s+(.+)$`)
	fromRE      = regexp.MustCompile(`(?i)\b(?:ship(?:s|ped|ping)?|sent|send)\s+from\b`)
	perOrderRE  = regexp.MustCompile(`(?i)(?:/|\bper)\s*(?:order|item|unit|package|pack)\b`)
)

// ParseShippingOption reads one shipping option as market pages list
// them: "Germany - 2 days - USD +4.50 / order", "EMS -- 10 days ( + BTC
// 0.1023 )", "EUROPE SIGNED AND TRACKED [10 EUR]", "SHIP FROM GERMANY
// (฿0.017)", "Standard - 5 days - USD +5.00", "Express 24h (+0.002 BTC)".
// The cost is the first amount with a currency; the duration a number of
// days, hours or weeks (or "next day"); the method what is left before
// them; destinations the places the method names. A line with no cost and
// no word "free" returns what it could read and an error wrapping
// ErrUnparsable; an empty or over-long line is an error.
func ParseShippingOption(line string) (ShippingOption, error) {
	s := strings.TrimSpace(line)
	o := ShippingOption{Raw: s}
	if len(s) > maxInput {
		o.Raw = cut(s, maxInput)
		return o, unparsable("shipping option", line, "too long")
	}
	if s == "" {
		return o, unparsable("shipping option", line, "empty")
	}
	s = moneyText(s)
	rest := s
	costFound := false
	for _, loc := range numRE.FindAllStringIndex(s, 16) {
		a, ok, err := amountAt(s, loc)
		if err != nil || !ok {
			continue
		}
		o.Cost = event.Money{Amount: a.v, Currency: a.cur, Raw: strings.TrimSpace(s[costStart(s, loc[0]):a.end])}
		if o.Cost.Amount < 0 {
			o.Cost.Amount = -o.Cost.Amount // "+/- 5 USD" is a cost; a sign is never a refund
		}
		rest = s[:costStart(s, loc[0])] + " " + s[a.end:]
		costFound = true
		break
	}
	rest = perOrderRE.ReplaceAllString(rest, " ")
	if m := durationRE.FindStringSubmatchIndex(rest); m != nil {
		o.Duration = strings.Join(strings.Fields(rest[m[2]:m[3]]), " ")
		rest = rest[:m[2]] + " " + rest[m[3]:]
	}
	var parts []string
	for _, p := range optionSepRE.Split(rest, -1) {
		p = strings.Trim(p, " +-–:,/.*")
		if p != "" && strings.Trim(p, "+-.,0 ") != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) > 0 {
		o.Method = cut(strings.Join(strings.Fields(parts[0]), " "), 200)
	}
	for _, p := range parts {
		if d := optionPlaces(p); d != nil {
			o.Destinations = d
			break
		}
	}
	if !costFound {
		if freeRE.MatchString(s) {
			o.Cost = event.Money{Raw: "free"}
			return o, nil
		}
		return o, unparsable("shipping option", line, "no cost with a currency")
	}
	return o, nil
}

// costStart moves back from a cost's number over a currency sign or code
// and a plus or minus sign written before it.
func costStart(s string, i int) int {
	j := len(strings.TrimRight(s[:i], " +-\u2212"))
	pre := s[:j]
	if c := currencyBefore(pre); c != "" {
		k := len(strings.TrimRightFunc(pre, func(r rune) bool { return r != ' ' && r != '(' && r != '[' && r != '-' && r != '+' }))
		return len(strings.TrimRight(pre[:k], " +"))
	}
	return len(strings.TrimRight(s[:i], " +"))
}

// optionPlaces reads the places one part of an option names: the whole
// part as a list of places, else its first one to three words ("UK SIGNED
// AND TRACKED" is GB), and "Outside EU" as every country but the EU's.
func optionPlaces(part string) []string {
	if fromRE.MatchString(part) {
		return nil // "SHIP FROM GERMANY" names the origin, not a destination
	}
	if m := outsideRE.FindStringSubmatch(part); m != nil {
		if st := Shipping("worldwide except " + m[1]); len(st.Unresolved) == 0 && len(st.Excluded) > 0 {
			return codesOf(st.Destinations)
		}
	}
	if st := Shipping(part); len(st.Unresolved) == 0 && len(st.Destinations) > 0 {
		return codesOf(st.Destinations)
	}
	words := strings.Fields(part)
	for n := min(3, len(words)-1); n >= 1; n-- {
		st := Shipping(strings.Join(words[:n], " "))
		if len(st.Unresolved) == 0 && len(st.Destinations) > 0 && !ambiguous(words[0]) {
			return codesOf(st.Destinations)
		}
	}
	return nil
}

func codesOf(ds []Destination) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Country
	}
	return out
}
