package normalize

import (
	"regexp"
	"strings"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// finalizeEarly reads the finalize_early field (FinalizeEarly): nil when
// the record lacks it, nil and flagged when the text says neither.
func finalizeEarly(fs fields) *bool {
	raw, _, ok := fs.get("finalize_early")
	if !ok {
		return nil
	}
	b, err := FinalizeEarly(raw)
	if err != nil {
		fs.flags.add("finalize_early")
		return nil
	}
	return &b
}

// digitalRE and physicalRE classify a product-class text.
var (
	digitalRE  = regexp.MustCompile(`(?i)digital|download|e-?book|\bservices?\b|virtual|software|\baccounts?\b|tutorial|guide|\be-?mail(?:ed)?\b|instant delivery`)
	physicalRE = regexp.MustCompile(`(?i)physical|shipp(?:ed|ing)|\bpackage\b|\bparcel\b|\bpost(?:al)?\b|tangible`)
)

// productClass reads the product_class field: event.ClassDigital or
// ClassPhysical and the text as shown; a text naming neither (or both) is
// flagged "product_class" and only kept raw.
func productClass(fs fields) (class, raw string) {
	raw = fs.text("product_class", event.MaxText)
	if raw == "" {
		return "", ""
	}
	d, p := digitalRE.MatchString(raw), physicalRE.MatchString(raw)
	switch {
	case d && !p:
		return event.ClassDigital, raw
	case p && !d:
		return event.ClassPhysical, raw
	}
	fs.flags.add("product_class")
	return "", raw
}

// shippingOptions reads the shipping_options field, one option per line
// (a site file joins its matches with "\n"), each kept raw and read by
// readShippingOption; past event.MaxOptions options the rest are left out
// and "shipping_options:truncated" flagged.
func shippingOptions(fs fields) []event.ShippingOption {
	raw, _, ok := fs.get("shipping_options")
	if !ok {
		return nil
	}
	var out []event.ShippingOption
	for _, line := range strings.Split(raw, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			continue
		}
		if len(out) == event.MaxOptions {
			fs.flags.add("shipping_options:truncated")
			break
		}
		out = append(out, readShippingOption(fs, fs.bound("shipping_options", line, event.MaxText)))
	}
	return out
}

// rating reads a 0-5 rating field (Rating; with the float parser a bare
// number up to 5); nil when the record lacks it, nil and flagged when it
// does not read.
func rating(fs fields, name string) *float64 {
	raw, parser, ok := fs.get(name)
	if !ok {
		return nil
	}
	if strings.Contains(raw, "%") {
		// A percentage is positive feedback, not a 0-5 rating: it is never
		// forced into one (see percentRating).
		fs.flags.add(name + ":percent")
		return nil
	}
	var r float64
	var err error
	if parser == pipeline.ParserFloat {
		r, err = Float(raw)
		if err == nil && (r > 5 || r < 0) {
			err = ErrUnparsable
		}
	} else {
		r, err = Rating(raw)
	}
	if err != nil {
		fs.flags.add(name)
		return nil
	}
	return &r
}

// readShippingOption reads one shipping option line
// (ParseShippingOption); one that does not read is kept raw and flagged
// "shipping_options".
func readShippingOption(fs fields, line string) event.ShippingOption {
	o, err := ParseShippingOption(line)
	if err != nil {
		fs.flags.add("shipping_options")
	}
	cost := o.Cost
	cost.Raw = event.Cut(cost.Raw, event.MaxText)
	return event.ShippingOption{Method: event.Cut(o.Method, event.MaxText), Cost: cost,
		Duration: event.Cut(o.Duration, event.MaxText), Destinations: o.Destinations, Raw: line}
}
