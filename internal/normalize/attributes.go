package normalize

import (
	"strconv"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// attributes reads a record's attributes.<key> fields, in key order, into
// typed attributes (event.Attr): each value in its type's canonical form.
// A value its parser cannot read is kept as text (Type "text", the raw
// value) and its field flagged; a malformed key is flagged and left out;
// past event.MaxAttributes the rest are left out and
// "attributes:truncated" flagged. Dates are read against captured and
// the record's locale.
func attributes(fs fields, captured time.Time) []event.Attr {
	var out []event.Attr
	for _, name := range fieldNames(fs.rec) {
		if !strings.HasPrefix(name, pipeline.AttributePrefix) {
			continue
		}
		key, ok := pipeline.AttributeKey(name)
		if !ok {
			fs.flags.add(name)
			continue
		}
		if len(out) == event.MaxAttributes {
			fs.flags.add("attributes:truncated")
			break
		}
		raw, parser, _ := fs.get(name)
		value, err := attrValue(fs, raw, parser, captured)
		if err != nil {
			fs.flags.add(name)
			parser, value = event.AttrText, raw
		}
		out = append(out, event.Attr{Key: key, Type: parser, Value: fs.bound(name, value, event.MaxText)})
	}
	return out
}

// attrValue reads raw with parser into the canonical text of event.Attr.
func attrValue(fs fields, raw, parser string, captured time.Time) (string, error) {
	switch parser {
	case event.AttrText:
		return collapseLines(raw), nil
	case event.AttrInt:
		n, err := Int(raw)
		return strconv.FormatInt(n, 10), err
	case event.AttrFloat:
		v, err := Float(raw)
		return strconv.FormatFloat(v, 'f', -1, 64), err
	case event.AttrBool:
		b, err := Bool(raw)
		return strconv.FormatBool(b), err
	case event.AttrDate:
		t, _, err := DateIn(raw, captured, fs.rec.Locale)
		return t.UTC().Format(time.RFC3339), err
	case event.AttrMoney:
		m, err := Money(raw)
		return strconv.FormatFloat(m.Amount, 'f', -1, 64) + " " + m.Currency, err
	case event.AttrCountry:
		return Country(raw)
	case event.AttrCountries:
		codes, ok := Countries(raw)
		if !ok {
			return "", unparsable("countries", raw, "not a list of countries")
		}
		return strings.Join(codes, ","), nil
	}
	return "", unparsable("attribute", raw, "parser "+parser+" does not apply to attributes")
}
