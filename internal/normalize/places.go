package normalize

import (
	"slices"
	"strings"
)

// Destination is one country a listing or vendor ships to, and why it is
// on the list.
type Destination struct {
	// Country is an ISO 3166-1 alpha-2 code.
	Country string
	// Basis is BasisExplicit, BasisRegion or BasisWorldwide.
	Basis string
}

// Bases of a Destination.
const (
	// BasisExplicit: the text names the country.
	BasisExplicit = "explicit"
	// BasisRegion: the text names a region the country belongs to.
	BasisRegion = "region"
	// BasisWorldwide: the text says "Worldwide" (possibly with exceptions).
	BasisWorldwide = "worldwide"
)

// Region codes of an OriginPlace that are no region of regions.yaml.
const (
	RegionWorldwide = "WORLDWIDE"
	RegionDigital   = "DIGITAL"
	RegionUnknown   = "UNKNOWN"
)

// OriginPlace is where a listing or vendor ships from.
type OriginPlace struct {
	// Country is an ISO 3166-1 alpha-2 code, empty when the text names a
	// region or marker instead.
	Country string
	// Region is "" (a country), "EU", "EUROPE", another region of
	// configs/reference/regions.yaml in upper case ("SCANDINAVIA",
	// "NORTH_AMERICA"), or RegionWorldwide, RegionDigital, RegionUnknown.
	Region string
	// Raw is the text as given, trimmed.
	Raw string
}

// Origin reads a ships-from text: a country as Country reads it ("Germany",
// "UK", "U.S.A.", "Holland", "Deutschland", "Нидерланды"), or a region or
// marker ("European Union" is EU, "Europe" EUROPE, "Worldwide" and "WW"
// WORLDWIDE, "Digital", "Internet" and "Digital / Service" DIGITAL,
// "Unknown" and "Torland" UNKNOWN). "Germany only" is Germany. Text naming
// several countries ("Germany and the Netherlands"), shipping only within a
// country ("Domestic") or nothing known is an error wrapping ErrUnparsable;
// Raw is set either way.
func Origin(raw string) (OriginPlace, error) {
	s := strings.TrimSpace(raw)
	o := OriginPlace{Raw: s}
	if len(s) > maxInput {
		o.Raw = cut(s, 64)
		return o, unparsable("origin", raw, "too long")
	}
	if s == "" {
		return o, unparsable("origin", raw, "empty")
	}
	p, err := placeTable()
	if err != nil {
		return o, err
	}
	k := strings.TrimSuffix(key(s), " only")
	if name := p.regionName[k]; name != "" {
		o.Region = name
		return o, nil
	}
	sh, err := parseShipping(s)
	if err != nil {
		return o, err
	}
	switch {
	case len(sh.unresolved) > 0:
		return o, unparsable("origin", raw, "no such country or region")
	case len(sh.excluded) > 0:
		return o, unparsable("origin", raw, "an exclusion is no origin")
	case len(sh.codes) == 1 && len(sh.specials) == 0:
		o.Country = sh.codes[0]
		return o, nil
	case len(sh.codes) > 1:
		return o, unparsable("origin", raw, "names several countries")
	case len(sh.specials) == 1:
		switch sh.specials[0] {
		case SpecialWorldwide:
			o.Region = RegionWorldwide
		case SpecialDigital:
			o.Region = RegionDigital
		case SpecialUnknown:
			o.Region = RegionUnknown
		default:
			return o, unparsable("origin", raw, "a shipping term, not a place")
		}
		return o, nil
	}
	return o, unparsable("origin", raw, "no single place")
}

// destinations lists every destination country of a parsed ships-to text.
func destinations(sh shipping, worldwide bool) []Destination {
	p, err := placeTable()
	if err != nil {
		return nil
	}
	n := len(sh.codes)
	if worldwide {
		n = len(p.all)
	}
	out := make([]Destination, 0, n)
	seen := make(map[string]bool, n)
	for _, c := range sh.codes {
		basis := BasisRegion
		if sh.explicit[c] {
			basis = BasisExplicit
		}
		out = append(out, Destination{Country: c, Basis: basis})
		seen[c] = true
	}
	if worldwide {
		for _, c := range p.all {
			if !seen[c] && !slices.Contains(sh.excluded, c) {
				out = append(out, Destination{Country: c, Basis: BasisWorldwide})
			}
		}
	}
	return out
}

// codeExclusionMarkers add to the exclusion_markers of regions.yaml the
// other wordings vendors use ("WW excl. US", "Everywhere but ...",
// "[Doesn't ship to...] United States") and those of the other languages.
var codeExclusionMarkers = []string{
	"but", "not", "except for", "excepting", "apart from", "with the exception of", "exc", "exc.", "ex.",
	"doesn't ship to", "doesnt ship to", "does not ship to", "don't ship to", "dont ship to", "do not ship to",
	"not shipping to", "no ship to", "we don't ship to", "no shipping", "not ship to",
	"außer", "ausser", "ausgenommen", "excepto", "salvo", "menos", "sauf", "hors", "behalve", "uitgezonderd",
	"oprócz", "poza", "z wyjątkiem", "exceto", "tranne", "eccetto", "кроме", "за исключением",
}

// codeSpecials are shipping terms regions.yaml does not list.
var codeSpecials = map[string]string{
	"domestic shipping": SpecialDomestic, "domestic shipping only": SpecialDomestic, "ships domestically": SpecialDomestic,
	"domestic delivery": SpecialDomestic, "national shipping": SpecialDomestic, "only domestic": SpecialDomestic,
	"inland shipping": SpecialDomestic, "same country only": SpecialDomestic,
	"digital / service": SpecialDigital, "service": SpecialDigital, "services": SpecialDigital,
	"digital service": SpecialDigital, "digital product": SpecialDigital, "digital delivery": SpecialDigital,
	"electronic delivery": SpecialDigital, "instant": SpecialDigital, "digital goods / services": SpecialDigital,
	"everywhere but": SpecialWorldwide, "all countries except": SpecialWorldwide, "ww shipping": SpecialWorldwide,
	"weltweit": SpecialWorldwide, "mundial": SpecialWorldwide, "todo el mundo": SpecialWorldwide,
	"monde entier": SpecialWorldwide, "le monde entier": SpecialWorldwide, "international": SpecialWorldwide,
	"wereldwijd": SpecialWorldwide, "cały świat": SpecialWorldwide, "caly swiat": SpecialWorldwide,
	"na cały świat": SpecialWorldwide, "mundo todo": SpecialWorldwide, "todo o mundo": SpecialWorldwide,
	"in tutto il mondo": SpecialWorldwide, "tutto il mondo": SpecialWorldwide, "mondiale": SpecialWorldwide,
	"весь мир": SpecialWorldwide, "по всему миру": SpecialWorldwide, "worldwide shipping available": SpecialWorldwide,
	"unbekannt": SpecialUnknown, "desconocido": SpecialUnknown, "inconnu": SpecialUnknown, "onbekend": SpecialUnknown,
	"nieznany": SpecialUnknown, "desconhecido": SpecialUnknown, "sconosciuto": SpecialUnknown, "неизвестно": SpecialUnknown,
}

// codeRegions are region names of the other languages, by regions.yaml key.
var codeRegions = map[string]string{
	"ue": "eu", "ес": "eu", "евросоюз": "eu", "unión europea": "eu", "union européenne": "eu", "europese unie": "eu",
	"unia europejska": "eu", "união europeia": "eu", "unione europea": "eu", "europäische union": "eu",
	"европа": "europe", "europa": "europe", "l'europe": "europe",
}

// foreignCountries are country names in Russian, German, Spanish, French,
// Dutch, Polish, Portuguese and Italian, and demonyms and spellings
// vendors use, for the countries markets name most.
var foreignCountries = map[string]string{
	// Germany
	"германия": "DE", "alemania": "DE", "allemagne": "DE", "duitsland": "DE", "niemcy": "DE", "alemanha": "DE",
	"germania": "DE", "bundesrepublik deutschland": "DE",
	// Netherlands
	"нидерланды": "NL", "голландия": "NL", "niederlande": "NL", "holanda": "NL", "países bajos": "NL",
	"paises bajos": "NL", "pays-bas": "NL", "pays bas": "NL", "nederland": "NL", "holandia": "NL",
	"países baixos": "NL", "paises baixos": "NL", "paesi bassi": "NL", "olanda": "NL", "the netherlands": "NL",
	// United Kingdom
	"великобритания": "GB", "англия": "GB", "großbritannien": "GB", "grossbritannien": "GB", "vereinigtes königreich": "GB",
	"reino unido": "GB", "royaume-uni": "GB", "royaume uni": "GB", "verenigd koninkrijk": "GB",
	"wielka brytania": "GB", "regno unito": "GB", "inghilterra": "GB", "angleterre": "GB", "engeland": "GB",
	"british": "GB",
	// United States
	"сша": "US", "америка": "US", "vereinigte staaten": "US", "estados unidos": "US", "eeuu": "US", "ee uu": "US",
	"états-unis": "US", "etats-unis": "US", "etats unis": "US", "verenigde staten": "US", "stany zjednoczone": "US",
	"stati uniti": "US", "american": "US",
	// France, Spain, Italy, Portugal, Poland, Belgium, Austria, Switzerland
	"франция": "FR", "frankreich": "FR", "francia": "FR", "frankrijk": "FR", "francja": "FR", "frança": "FR", "franca": "FR",
	"испания": "ES", "spanien": "ES", "espagne": "ES", "spanje": "ES", "hiszpania": "ES", "espanha": "ES", "spagna": "ES",
	"италия": "IT", "italien": "IT", "italie": "IT", "italië": "IT", "włochy": "IT", "wlochy": "IT", "itália": "IT",
	"португалия": "PT", "portugalia": "PT", "portogallo": "PT", "portugual": "PT",
	"польша": "PL", "polen": "PL", "polonia": "PL", "pologne": "PL", "polska": "PL", "polônia": "PL", "polónia": "PL",
	"бельгия": "BE", "belgien": "BE", "bélgica": "BE", "belgica": "BE", "belgië": "BE", "belgia": "BE", "belgio": "BE",
	"австрия": "AT", "österreich": "AT", "oesterreich": "AT", "autriche": "AT", "oostenrijk": "AT",
	"швейцария": "CH", "schweiz": "CH", "suiza": "CH", "suisse": "CH", "zwitserland": "CH", "szwajcaria": "CH",
	"suíça": "CH", "suica": "CH", "svizzera": "CH",
	// Others often seen
	"россия": "RU", "рф": "RU", "russland": "RU", "rusia": "RU", "russie": "RU", "rusland": "RU", "rosja": "RU",
	"rússia": "RU", "russia": "RU", "украина": "UA", "ukraine": "UA", "ucrania": "UA", "oekraïne": "UA",
	"ukraina": "UA", "ucrânia": "UA", "ucraina": "UA", "беларусь": "BY", "белоруссия": "BY", "казахстан": "KZ",
	"китай": "CN", "chine": "CN", "chiny": "CN", "cina": "CN", "канада": "CA", "kanada": "CA", "canadá": "CA",
	"австралия": "AU", "australien": "AU", "australie": "AU", "australië": "AU", "austrália": "AU",
	"чехия": "CZ", "tschechien": "CZ", "república checa": "CZ", "tchéquie": "CZ", "tsjechië": "CZ", "czechy": "CZ",
	"dänemark": "DK", "dinamarca": "DK", "danemark": "DK", "denemarken": "DK", "dania": "DK", "danimarca": "DK",
	"schweden": "SE", "suecia": "SE", "suède": "SE", "zweden": "SE", "szwecja": "SE", "suécia": "SE", "svezia": "SE",
	"kolumbien": "CO", "colombie": "CO", "kolumbia": "CO", "indien": "IN", "inde": "IN", "indie": "IN",
	"mexiko": "MX", "mexique": "MX", "messico": "MX", "brasilien": "BR", "brésil": "BR", "brazylia": "BR",
	"irland": "IE", "irlanda": "IE", "irlande": "IE", "ierland": "IE", "irlandia": "IE",
	"griechenland": "GR", "grecia": "GR", "grèce": "GR", "griekenland": "GR", "grecja": "GR", "grécia": "GR",
	"türkei": "TR", "turquía": "TR", "turquie": "TR", "turkije": "TR", "turcja": "TR", "turchia": "TR",
	"norwegen": "NO", "noruega": "NO", "norvège": "NO", "noorwegen": "NO", "norwegia": "NO", "norvegia": "NO",
	"finnland": "FI", "finlandia": "FI", "finlande": "FI",
}

// addCodeAliases adds the names above to the lookup table; a name the
// reference files already give is left as they give it.
func addCodeAliases(p *places) {
	for name, code := range foreignCountries {
		if k := key(name); k != "" {
			if _, ok := p.country[k]; !ok {
				p.country[k] = code
			}
		}
	}
	for name, sp := range codeSpecials {
		if _, ok := p.special[key(name)]; !ok {
			p.special[key(name)] = sp
		}
	}
	for name, reg := range codeRegions {
		up := strings.ToUpper(reg)
		for k, n := range p.regionName {
			if n == up {
				k2 := key(name)
				if _, ok := p.region[k2]; !ok {
					p.region[k2] = p.region[k]
					p.regionName[k2] = up
				}
				break
			}
		}
	}
}
