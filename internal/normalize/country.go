package normalize

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/configs"
)

// Special shipping strings that name no country list of their own.
const (
	SpecialWorldwide = "worldwide"
	SpecialUnknown   = "unknown"
	SpecialDigital   = "digital"
	SpecialDomestic  = "domestic"
)

// places is the lookup table built once from configs/reference: ISO 3166
// names and codes, the country and region aliases of regions.yaml, and its
// special strings.
type places struct {
	country map[string]string   // key -> alpha-2
	region  map[string][]string // key -> alpha-2 codes (more than one)
	special map[string]string   // key -> Special*
	exclude []*regexp.Regexp    // exclusion markers, longest first
	// excludeWord is each exclusion marker in lower case, beside exclude:
	// a marker's pattern runs only when the text holds the word.
	excludeWord []string
	// regionName maps a region alias key to its region code: the
	// regions.yaml key in upper case ("EU", "EUROPE", "SCANDINAVIA").
	regionName map[string]string
	// all is every alpha-2 code of iso3166.csv, in file order.
	all []string
}

var placeTable = sync.OnceValues(loadPlaces)

// extraAliases are names vendors use that neither reference file lists.
var extraAliases = map[string]string{
	"swaziland": "SZ", "cape verde": "CV", "east timor": "TL", "vatican": "VA", "vatican city": "VA",
	"great britain": "GB", "micronesia": "FM", "st lucia": "LC", "saint lucia": "LC",
}

// ambiguousWords are two-letter codes that are also English words; unless
// written in upper case they are not taken as countries.
var ambiguousWords = map[string]bool{
	"in": true, "no": true, "it": true, "at": true, "be": true, "is": true, "me": true, "to": true,
	"as": true, "am": true, "or": true, "na": true, "on": true, "an": true, "so": true, "by": true,
}

type regionsFile struct {
	Special map[string]struct {
		Aliases []string `yaml:"aliases"`
	} `yaml:"special"`
	Regions map[string]struct {
		Aliases []string `yaml:"aliases"`
		Codes   []string `yaml:"codes"`
	} `yaml:"regions"`
	CountryAliases   map[string]string `yaml:"country_aliases"`
	ExclusionMarkers []string          `yaml:"exclusion_markers"`
}

func loadPlaces() (*places, error) {
	p := &places{country: map[string]string{}, region: map[string][]string{}, special: map[string]string{},
		regionName: map[string]string{}}
	f, err := configs.Reference.Open("reference/iso3166.csv")
	if err != nil {
		return nil, fmt.Errorf("loading countries: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("reading iso3166.csv: %w", err)
	}
	if len(header) < 3 || header[0] != "name" || header[1] != "alpha-2" || header[2] != "alpha-3" {
		return nil, fmt.Errorf("reading iso3166.csv: unexpected header %q", header)
	}
	// Variants ("Bolivia" for "Bolivia, Plurinational State of") are added
	// only when no two countries share them and no exact name claims them.
	variants := map[string]string{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading iso3166.csv: %w", err)
		}
		name, a2, a3 := rec[0], rec[1], rec[2]
		if !isCode(a2) {
			return nil, fmt.Errorf("reading iso3166.csv: bad alpha-2 code %q", a2)
		}
		p.country[key(name)] = a2
		p.all = append(p.all, a2)
		p.country[strings.ToLower(a2)] = a2
		p.country[strings.ToLower(a3)] = a2
		for _, v := range nameVariants(name) {
			if prev, ok := variants[v]; ok && prev != a2 {
				variants[v] = ""
			} else {
				variants[v] = a2
			}
		}
	}
	for v, code := range variants {
		if _, ok := p.country[v]; !ok && code != "" {
			p.country[v] = code
		}
	}

	rf, err := configs.Reference.ReadFile("reference/regions.yaml")
	if err != nil {
		return nil, fmt.Errorf("loading regions: %w", err)
	}
	var regs regionsFile
	if err := yaml.Unmarshal(rf, &regs); err != nil {
		return nil, fmt.Errorf("reading regions.yaml: %w", err)
	}
	for name, sp := range regs.Special {
		for _, a := range sp.Aliases {
			p.special[key(a)] = name
		}
	}
	for regName, reg := range regs.Regions {
		for _, c := range reg.Codes {
			if !isCode(c) {
				return nil, fmt.Errorf("reading regions.yaml: bad code %q", c)
			}
		}
		for _, a := range reg.Aliases {
			if len(reg.Codes) == 1 {
				p.country[key(a)] = reg.Codes[0]
			} else {
				p.region[key(a)] = slices.Clone(reg.Codes)
				p.regionName[key(a)] = strings.ToUpper(regName)
			}
		}
	}
	for a, c := range regs.CountryAliases {
		if !isCode(c) {
			return nil, fmt.Errorf("reading regions.yaml: bad code %q for %q", c, a)
		}
		p.country[key(a)] = c
	}
	for a, c := range extraAliases {
		if _, ok := p.country[key(a)]; !ok {
			p.country[key(a)] = c
		}
	}
	addCodeAliases(p)
	markers := append(slices.Clone(regs.ExclusionMarkers), codeExclusionMarkers...)
	// Longest marker first, so "no shipping to" wins over a shorter one.
	slices.SortStableFunc(markers, func(a, b string) int { return len(b) - len(a) })
	for _, m := range markers {
		re, err := regexp.Compile(`(?i)(?:^|[\s(,;\[])` + regexp.QuoteMeta(m) + `(?:$|[\s:).\]])`)
		if err != nil {
			return nil, fmt.Errorf("reading regions.yaml: exclusion marker %q: %w", m, err)
		}
		p.exclude = append(p.exclude, re)
		p.excludeWord = append(p.excludeWord, strings.ToLower(m))
	}
	return p, nil
}

// nameVariants derives shorter names from an ISO name: the part before a
// comma or parenthesis ("Bolivia") and the comma form turned round
// ("Republic of Korea").
func nameVariants(name string) []string {
	var out []string
	if i := strings.IndexAny(name, ",("); i > 0 {
		out = append(out, key(name[:i]))
	}
	if before, after, ok := strings.Cut(name, ","); ok && !strings.Contains(after, "(") {
		out = append(out, key(after+" "+before))
	}
	return out
}

func isCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// fold maps letters with diacritics to their base letters.
var fold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a",
	'ç': "c", 'ć': "c", 'ĉ': "c", 'ċ': "c", 'č': "c", 'ď': "d", 'đ': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ĕ': "e", 'ė': "e", 'ę': "e", 'ě': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ĩ': "i", 'ī': "i", 'ĭ': "i", 'į': "i", 'ı': "i",
	'ñ': "n", 'ń': "n", 'ņ': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ō': "o", 'ŏ': "o", 'ő': "o",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ũ': "u", 'ū': "u", 'ŭ': "u", 'ů': "u", 'ű': "u", 'ų': "u",
	'ý': "y", 'ÿ': "y", 'ś': "s", 'ŝ': "s", 'ş': "s", 'š': "s", 'ș': "s", 'ź': "z", 'ż': "z", 'ž': "z",
	'ţ': "t", 'ť': "t", 'ț': "t", 'ŕ': "r", 'ř': "r", 'ĺ': "l", 'ľ': "l", 'ł': "l", 'ğ': "g", 'ģ': "g",
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'þ': "th", 'ð': "d",
}

// key normalizes a place name for lookup: lower case, diacritics folded,
// dots and apostrophes dropped, '/', '&' and '+' spaced, other punctuation
// turned into spaces, spaces collapsed, a leading "the " dropped.
func key(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if f, ok := fold[r]; ok {
			b.WriteString(f)
			continue
		}
		switch {
		case r == '.' || r == '\'' || r == '’' || r == '`':
		case r == '/' || r == '&' || r == '+':
			b.WriteString(" " + string(r) + " ")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	k := strings.Join(strings.Fields(b.String()), " ")
	return strings.TrimPrefix(k, "the ")
}

// flagCode reads a flag emoji (two regional indicator symbols) as a code.
func flagCode(s string) (string, bool) {
	r1, n1 := utf8.DecodeRuneInString(s)
	r2, n2 := utf8.DecodeRuneInString(s[n1:])
	const base = 0x1F1E6
	if n1+n2 != len(s) || r1 < base || r1 > base+25 || r2 < base || r2 > base+25 {
		return "", false
	}
	return string([]rune{'A' + r1 - base, 'A' + r2 - base}), true
}

var parenRE = regexp.MustCompile(`\s*\([^)]*\)`)

// Country reads one country and returns its ISO 3166-1 alpha-2 code: an
// English name ("Germany"), an alpha-2 or alpha-3 code ("DE", "deu"), a
// common alias ("USA", "UK", "Holland", "Deutschland") or a flag emoji.
// Matching ignores case, diacritics and punctuation; a parenthesised note
// ("Germany (DE)") is ignored when the whole does not match. A two-letter
// code that is also an English word is taken only in upper case ("NO" is
// Norway; "no" and "No" are not). A region naming several countries is an
// error; see Countries.
func Country(raw string) (string, error) {
	p, err := placeTable()
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(raw)
	if len(s) > maxInput {
		return "", unparsable("country", raw, "too long")
	}
	if code, ok := p.lookup(s); ok {
		return code, nil
	}
	if k := key(s); p.region[k] != nil || p.special[k] != "" {
		return "", unparsable("country", raw, "a region or shipping term, not one country")
	}
	return "", unparsable("country", raw, "no such country")
}

func (p *places) lookup(s string) (string, bool) {
	if code, ok := flagCode(s); ok {
		return code, true
	}
	if ambiguous(s) {
		return "", false
	}
	if code, ok := p.country[key(s)]; ok {
		return code, true
	}
	if t := parenRE.ReplaceAllString(s, ""); t != s && t != "" {
		if ambiguous(t) {
			return "", false
		}
		code, ok := p.country[key(t)]
		return code, ok
	}
	return "", false
}

// ambiguous reports whether s is a two-letter code that is also an English
// word and is not written in upper case ("no", "No"; not "NO").
func ambiguous(s string) bool {
	return len(s) == 2 && ambiguousWords[strings.ToLower(s)] && s != strings.ToUpper(s)
}

// shipping is a parsed list of places.
type shipping struct {
	codes      []string        // resolved codes, in order, de-duplicated
	unresolved []string        // parts that named no place
	specials   []string        // Special* strings found, in order
	excluded   []string        // codes named after an exclusion marker
	explicit   map[string]bool // codes named as countries, not through a region
}

// shipLabelRE is a label before a list of places: "Ships to:", "Ships
// from", "Origin country:", "From:", "Destination:".
var shipLabelRE = regexp.MustCompile(`(?i)^\s*(?:(?:ships?|shipping|shipped|sent|sends|delivers?|delivery)\s+(?:from|to)\b\s*:?|(?:from|to|origin(?:\s+country)?|destination|destinations|location|ships\s+to|ship\s+to)\s*:)\s*`)

// separatorRE splits a list of places.
var separatorRE = regexp.MustCompile(`(?i)\s*(?:[,;|/&+\n]|\band\b)\s*`)

// maxParts bounds the parts of a list looked at; the rest is unresolved.
const maxParts = 300

// maxWindow is the most adjacent parts joined back together to match one
// name ("Bosnia and Herzegovina", "UK & Ireland").
const maxWindow = 5

func parseShipping(raw string) (shipping, error) {
	var sh shipping
	p, err := placeTable()
	if err != nil {
		return sh, err
	}
	s := strings.TrimSpace(raw)
	if len(s) > maxInput {
		sh.unresolved = append(sh.unresolved, cut(s, 64))
		return sh, nil
	}
	s = shipLabelRE.ReplaceAllString(s, "")
	if k := key(s); p.special[k] != "" || p.region[k] != nil {
		// A term as a whole ("Not specified") holds no exclusion.
		return p.parseList(s), nil
	}
	include, exclude := p.splitExclusion(s)
	in := p.parseList(include)
	if exclude != "" && strings.Trim(include, " .[](),;:-") == "" {
		// "[Doesn't ship to...] United States", "except USA": everywhere
		// but the places named.
		in.special(SpecialWorldwide)
	}
	if exclude != "" {
		out := p.parseList(exclude)
		in.unresolved = append(in.unresolved, out.unresolved...)
		in.excluded = out.codes
		in.codes = slices.DeleteFunc(in.codes, func(c string) bool { return slices.Contains(out.codes, c) })
	}
	return in, nil
}

// splitExclusion splits "Worldwide except USA/AU" at its exclusion marker.
func (p *places) splitExclusion(s string) (include, exclude string) {
	lower := strings.ToLower(s)
	for i, re := range p.exclude {
		if !strings.Contains(lower, p.excludeWord[i]) {
			continue
		}
		if loc := re.FindStringIndex(s); loc != nil {
			return strings.Trim(s[:loc[0]], " (,;:[]."), strings.Trim(s[loc[1]:], " ():[].")
		}
	}
	return s, ""
}

func (p *places) parseList(s string) shipping {
	var sh shipping
	if s == "" {
		return sh
	}
	seps := separatorRE.FindAllStringIndex(s, -1)
	var parts, between []string
	prev := 0
	for _, loc := range seps {
		parts = append(parts, s[prev:loc[0]])
		between = append(between, s[loc[0]:loc[1]])
		prev = loc[1]
	}
	parts = append(parts, s[prev:])
	if len(parts) > maxParts {
		sh.unresolved = append(sh.unresolved, fmt.Sprintf("%d more parts", len(parts)-maxParts))
		parts = parts[:maxParts]
	}
	for i := 0; i < len(parts); {
		matched := false
		for end := min(len(parts)-1, i+maxWindow-1); end >= i; end-- {
			var b strings.Builder
			for j := i; j <= end; j++ {
				b.WriteString(parts[j])
				if j < end {
					b.WriteString(between[j])
				}
			}
			if p.resolve(strings.TrimSpace(b.String()), &sh) {
				i, matched = end+1, true
				break
			}
		}
		if !matched {
			if part := strings.TrimSpace(parts[i]); part != "" {
				sh.unresolved = append(sh.unresolved, part)
			}
			i++
		}
	}
	return sh
}

// resolve adds what part names to sh and reports whether it named anything.
func (p *places) resolve(part string, sh *shipping) bool {
	if part == "" {
		return true
	}
	if code, ok := p.lookup(part); ok {
		sh.add(code)
		if sh.explicit == nil {
			sh.explicit = map[string]bool{}
		}
		sh.explicit[code] = true
		return true
	}
	k := key(part)
	if k == "" {
		sh.special(SpecialUnknown)
		return true
	}
	if codes := p.region[k]; codes != nil {
		for _, c := range codes {
			sh.add(c)
		}
		return true
	}
	if sp := p.special[k]; sp != "" {
		sh.special(sp)
		return true
	}
	// "Germany only", "UK only": the place without the "only".
	if trimmed, ok := strings.CutSuffix(k, " only"); ok && trimmed != "" {
		return p.resolve(trimmed, sh)
	}
	return false
}

func (sh *shipping) add(code string) {
	if !slices.Contains(sh.codes, code) {
		sh.codes = append(sh.codes, code)
	}
}

func (sh *shipping) special(s string) {
	if !slices.Contains(sh.specials, s) {
		sh.specials = append(sh.specials, s)
	}
}

// Countries reads a list of places ("Germany, Austria", "EU / UK",
// "Bosnia and Herzegovina & Serbia") split on , ; / | & + and " and ", and
// returns their alpha-2 codes in order, de-duplicated. A region from
// configs/reference/regions.yaml ("EU", "Scandinavia", "Benelux") adds its
// member states; text after an exclusion marker ("Europe except UK")
// removes codes. ok is true only when every part resolved to countries: a
// part naming nothing, or a shipping term that names no list ("Worldwide",
// "Unknown", "Digital", "Domestic"), makes it false. Listing flags those
// terms as "ships_to:worldwide" etc.
func Countries(raw string) ([]string, bool) {
	sh, err := parseShipping(raw)
	if err != nil {
		return nil, false
	}
	return sh.codes, len(sh.unresolved) == 0 && len(sh.specials) == 0 && len(sh.codes) > 0
}

// ShipsTo is a parsed ships-to text.
type ShipsTo struct {
	// Codes are the countries named, regions expanded, exclusions removed,
	// in order, de-duplicated. "Worldwide" adds none: see Worldwide.
	Codes []string
	// Worldwide is set when the text says the vendor ships worldwide
	// ("Worldwide", "WW", "International", "Global"); Codes then holds only
	// countries named beside it.
	Worldwide bool
	// Excluded are the countries named after an exclusion marker
	// ("Worldwide except USA, Australia" excludes US and AU).
	Excluded []string
	// Specials are the other shipping terms found: SpecialUnknown,
	// SpecialDigital, SpecialDomestic.
	Specials []string
	// Unresolved are the parts of the text that named no place.
	Unresolved []string
	// Domestic is set when the text says the vendor ships only within its
	// own country ("Domestic Shipping Only"): the caller adds the ships-from
	// country as the destination.
	Domestic bool
	// Destinations is the full list of destination countries: the
	// countries named (basis "explicit"), the members of regions named
	// ("region"), and for "Worldwide" every ISO 3166-1 country not named
	// otherwise ("worldwide"); exclusions removed.
	Destinations []Destination
}

// Shipping reads a ships-to text as Countries does and says what it could
// not express as codes: "Worldwide except USA" is Worldwide with US
// Excluded and no Codes; "Europe except UK" is the European codes without
// GB, with GB Excluded.
func Shipping(raw string) ShipsTo {
	sh, err := parseShipping(raw)
	if err != nil {
		return ShipsTo{Unresolved: []string{cut(strings.TrimSpace(raw), 64)}}
	}
	st := ShipsTo{Codes: sh.codes, Excluded: sh.excluded, Unresolved: sh.unresolved}
	for _, sp := range sh.specials {
		switch sp {
		case SpecialWorldwide:
			st.Worldwide = true
		case SpecialDomestic:
			st.Domestic = true
			st.Specials = append(st.Specials, sp)
		default:
			st.Specials = append(st.Specials, sp)
		}
	}
	st.Destinations = destinations(sh, st.Worldwide)
	return st
}
