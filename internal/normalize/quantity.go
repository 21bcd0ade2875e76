package normalize

import (
	"math"
	"regexp"
	"strings"

	"github.com/counternet/counternet/internal/event"
)

// Unit codes of Listing.Unit: every quantity is converted to one of them.
const (
	UnitGram       = "g"
	UnitMillilitre = "ml"
	UnitCount      = "unit"
)

// unitKind tells how a unit word counts.
type unitKind int

const (
	kindMass   unitKind = iota // g, kg, oz, lb
	kindDose                   // mg, µg: the strength of one pill when a count is given
	kindVolume                 // ml, l
	kindCount                  // pills, tabs, blotters
)

type unitDef struct {
	code   string
	factor float64 // one of this unit in code's unit
	kind   unitKind
}

const (
	gramsPerOunce = 28.349523125
	gramsPerPound = 453.59237
)

// unitWords maps lower-case unit words to their code and factor. "gr" is
// read as grams (vendors' usage), never as grains.
var unitWords = func() map[string]unitDef {
	m := map[string]unitDef{}
	add := func(d unitDef, words ...string) {
		for _, w := range words {
			m[w] = d
		}
	}
	add(unitDef{UnitGram, 1, kindMass}, "g", "gr", "grs", "gm", "gms", "gram", "grams", "gramm", "gramme", "grammes", "gramos", "grammi")
	add(unitDef{UnitGram, 1000, kindMass}, "kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "kilogramme", "kilogrammes")
	add(unitDef{UnitGram, gramsPerOunce, kindMass}, "oz", "ozs", "ounce", "ounces", "zip", "zips")
	add(unitDef{UnitGram, gramsPerPound, kindMass}, "lb", "lbs", "pound", "pounds")
	add(unitDef{UnitGram, 0.001, kindDose}, "mg", "mgs", "milligram", "milligrams", "milligramme", "milligrammes")
	add(unitDef{UnitGram, 1e-6, kindDose}, "ug", "µg", "μg", "mcg", "microgram", "micrograms")
	add(unitDef{UnitMillilitre, 1, kindVolume}, "ml", "mls", "millilitre", "millilitres", "milliliter", "milliliters", "cc")
	add(unitDef{UnitMillilitre, 10, kindVolume}, "cl")
	add(unitDef{UnitMillilitre, 1000, kindVolume}, "l", "ltr", "litre", "litres", "liter", "liters")
	add(unitDef{UnitCount, 1, kindCount}, "unit", "units", "pill", "pills", "tab", "tabs", "tablet", "tablets",
		"cap", "caps", "capsule", "capsules", "blotter", "blotters", "hit", "hits", "pc", "pcs", "piece", "pieces",
		"bar", "bars", "strip", "strips", "vial", "vials", "amp", "amps", "ampoule", "ampoules", "ampule", "ampules",
		"pressie", "pressies", "pellet", "pellets", "ct", "count", "stk", "stück")
	return m
}()

// UnitCode reads a unit word ("grams", "GR", "kg", "pills", "ml") and
// returns its unit code (UnitGram, UnitMillilitre or UnitCount) and how
// many of that code one of the word is ("kg" is 1000 g, "oz" 28.35 g).
// A leading number is ignored ("1 kg" reads as "kg"). ok is false for
// words it does not know.
func UnitCode(raw string) (code string, factor float64, ok bool) {
	s := strings.ToLower(strings.TrimSpace(raw))
	s = strings.TrimLeft(s, "0123456789.,/ ")
	s = strings.Trim(s, " .()[]")
	if len(s) > 32 {
		return "", 0, false
	}
	d, ok := unitWords[s]
	if !ok {
		return "", 0, false
	}
	return d.code, d.factor, true
}

const qtyNum = `(\d+(?:[.,]\d+)*)`

var (
	// "20 x 2mg", "2x1g", "10 × 100ug", "5 * 10 pills"
	multRE = regexp.MustCompile(`(?i)` + qtyNum + `\s*[x×*]\s*` + qtyNum + `\s*(\pL+)`)
	// "2mg x 20", "150ug x10"
	multAfterRE = regexp.MustCompile(`(?i)` + qtyNum + `\s*(\pL+)\s*[x×*]\s*` + qtyNum + `\b`)
	// "1/8 oz", "1/2 lb"
	fracRE = regexp.MustCompile(`(?i)\b(\d)\s*/\s*(2|4|8|16)\s*(\pL+)`)
	// "250 GRAM", "3.5g", "50 PILLS"
	qtyRE = regexp.MustCompile(`(?i)` + qtyNum + `\s*(\pL+)`)
	// "10x Oxycodone", "x100"
	timesRE = regexp.MustCompile(`(?i)(?:\b(\d+)\s*[x×]\s|\b[x×]\s*(\d+)\b)`)
)

// Quantity reads the quantity a listing title or amount field offers and
// returns it in grams, millilitres or units with its unit code: "250
// GRAM" is 250 g, "5 GR" 5 g, "1kg" 1000 g, "1 oz" 28.35 g, "1/8 oz"
// 3.54 g, "3.5g" 3.5 g, "1ml" 1 ml, "50 PILLS" and "10 tabs" 50 and 10
// units. A count times a strength ("20 x 2mg", "150ug x 10") is that many
// units: the strength is a dose, not the amount sold; a count times an
// amount ("2 x 1g") is the total (2 g). "10x Oxycodone 30mg" and "x100"
// are counts. The most telling form wins: a product, then a count, then a
// mass or volume, then a milligram amount alone ("500mg MDMA" is 0.5 g); a
// microgram amount alone ("LSD 150ug") is only a dose and is no quantity.
// Text with no quantity is an error wrapping ErrUnparsable.
func Quantity(raw string) (q float64, unit string, err error) {
	if len(raw) > maxInput {
		return 0, "", unparsable("quantity", raw, "too long")
	}
	s := raw
	for _, m := range multRE.FindAllStringSubmatch(s, -1) {
		if q, unit, ok := product(m[1], m[2], m[3]); ok {
			return q, unit, nil
		}
	}
	for _, m := range multAfterRE.FindAllStringSubmatch(s, -1) {
		if q, unit, ok := product(m[3], m[1], m[2]); ok {
			return q, unit, nil
		}
	}
	for _, m := range fracRE.FindAllStringSubmatch(s, -1) {
		d, ok := unitWords[strings.ToLower(m[3])]
		if !ok || d.kind != kindMass {
			continue
		}
		num, den := float64(m[1][0]-'0'), 0.0
		switch m[2] {
		case "2":
			den = 2
		case "4":
			den = 4
		case "8":
			den = 8
		case "16":
			den = 16
		}
		if num > 0 && num < den {
			return roundQty(num / den * d.factor), d.code, nil
		}
	}
	var count, amount, dose *found
	for _, loc := range qtyRE.FindAllStringSubmatchIndex(s, -1) {
		if loc[0] > 0 && s[loc[0]-1] == '/' {
			continue // "10/325" is a strength ratio
		}
		word := strings.ToLower(s[loc[4]:loc[5]])
		d, ok := unitWords[word]
		if !ok {
			continue
		}
		v, err := number(s[loc[2]:loc[3]], d.kind == kindCount)
		if err != nil || !(v > 0) {
			continue
		}
		f := &found{v, d}
		switch {
		case d.kind == kindCount && count == nil:
			count = f
		case (d.kind == kindMass || d.kind == kindVolume) && amount == nil:
			amount = f
		case d.kind == kindDose && dose == nil:
			dose = f
		}
	}
	if count == nil {
		if m := timesRE.FindStringSubmatch(s); m != nil {
			n := m[1] + m[2]
			if v, err := number(n, true); err == nil && v > 0 {
				count = &found{v, unitWords["units"]}
			}
		}
	}
	for _, f := range []*found{count, amount} {
		if q := qtyOf(f); q > 0 {
			return q, f.d.code, nil
		}
	}
	if dose != nil && dose.d.factor == 0.001 {
		if q := qtyOf(dose); q > 0 {
			return q, dose.d.code, nil
		}
	}
	return 0, "", unparsable("quantity", raw, "no quantity with a unit")
}

type found struct {
	v float64
	d unitDef
}

func qtyOf(f *found) float64 {
	if f == nil {
		return 0
	}
	return roundQty(f.v * f.d.factor)
}

// product reads count × size unit; ok is false when unit is no unit.
func product(countTok, sizeTok, unitWord string) (float64, string, bool) {
	d, ok := unitWords[strings.ToLower(unitWord)]
	if !ok {
		return 0, "", false
	}
	n, err := number(countTok, true)
	if err != nil || !(n > 0) || n != math.Trunc(n) {
		return 0, "", false
	}
	if d.kind == kindDose {
		return n, UnitCount, true
	}
	size, err := number(sizeTok, d.kind == kindCount)
	if err != nil || !(size > 0) {
		return 0, "", false
	}
	q := roundQty(n * size * d.factor)
	return q, d.code, q > 0
}

// roundQty rounds to 9 significant decimals so 3 × 0.1 g is 0.3 g.
func roundQty(v float64) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0
	}
	return math.Round(v*1e9) / 1e9
}

// PerUnitPrice is a listing's price per gram, millilitre or unit (its
// Unit), in the price's currency and in US dollars: Price.Amount and
// PriceUSD divided by Quantity, rounded to 6 decimals. ok is false when
// the listing has no quantity or no price; usd is 0 when PriceUSD is.
func PerUnitPrice(l event.Listing) (price, usd float64, ok bool) {
	if !(l.Quantity > 0) || l.Price.Currency == "" || !(l.Price.Amount > 0) {
		return 0, 0, false
	}
	round := func(v float64) float64 { return math.Round(v*1e6) / 1e6 }
	price = round(l.Price.Amount / l.Quantity)
	if l.PriceUSD > 0 {
		usd = round(l.PriceUSD / l.Quantity)
	}
	return price, usd, true
}
