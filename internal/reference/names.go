package reference

import (
	"fmt"
	"strings"
)

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return strings.ReplaceAll(s, "_", " ")
}

// dmy renders YYYY-MM-DD as 1 January 2021.
func dmy(iso string) string {
	var y, m, d int
	if _, err := fmt.Sscanf(iso, "%d-%d-%d", &y, &m, &d); err != nil || m < 1 || m > 12 {
		return iso
	}
	months := []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	return fmt.Sprintf("%d %s %d", d, months[m-1], y)
}

// commonNames are countries whose ISO name is not how people write them
// in a sentence.
var commonNames = map[string]string{
	"NL": "the Netherlands", "GB": "the United Kingdom", "US": "the United States", "CZ": "Czechia",
	"KR": "South Korea", "KP": "North Korea", "RU": "Russia", "IR": "Iran", "SY": "Syria", "VE": "Venezuela",
	"BO": "Bolivia", "TZ": "Tanzania", "MD": "Moldova", "TW": "Taiwan", "VN": "Vietnam", "LA": "Laos",
	"BN": "Brunei", "CD": "the Democratic Republic of the Congo", "CG": "the Republic of the Congo",
	"PH": "the Philippines", "AE": "the United Arab Emirates", "DO": "the Dominican Republic", "BS": "the Bahamas",
	"GM": "the Gambia", "CF": "the Central African Republic", "TR": "Türkiye", "PS": "Palestine",
	"VA": "the Holy See", "FM": "Micronesia", "MK": "North Macedonia", "CI": "Côte d'Ivoire", "KM": "the Comoros",
	"MH": "the Marshall Islands", "SB": "the Solomon Islands", "MV": "the Maldives", "SC": "Seychelles",
}

// CommonName is the country's name as people write it in a sentence
// ("the Netherlands", not "Netherlands, Kingdom of the").
func CommonName(c Country) string {
	if n, ok := commonNames[c.ISO2]; ok {
		return n
	}
	n := c.Name
	if i := strings.Index(n, " ("); i > 0 {
		n = n[:i]
	}
	if i := strings.Index(n, ", "); i > 0 {
		n = n[:i]
	}
	return n
}

// CountryName is CommonName of the country with the alpha-2 code, or the
// code itself when unknown.
func (d *Data) CountryName(iso2 string) string {
	if c, ok := d.Country(iso2); ok {
		return CommonName(c)
	}
	return iso2
}
