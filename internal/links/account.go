package links

import (
	"slices"
	"strings"
	"unicode"
)

// Account is one vendor account (a handle on a market or forum) and what
// its pages show. Lists hold distinct values; Captures says which captured
// page (SHA-256) shows a datum, keyed as Evidence names them.
type Account struct {
	Source, Handle string
	PGP            []string // fingerprints, upper-case hex
	PGPUserIDs     []string // user IDs of its keys as UserIDKey gives them
	PGPSubkeys     []string // subkey fingerprints of its keys, upper-case hex
	Crypto         []string // payment addresses
	Contacts       []string // kind:value, lower-cased
	Texts          []string // descriptions, terms, posts (bounded: see MaxTextBytes)
	ShipsFrom      string   // ISO 3166-1 alpha-2, or ""
	ShipsTo        []string // ISO 3166-1 alpha-2
	Categories     []string // taxonomy codes
	// Prices is the median price in USD of one unit, per category.
	Prices   map[string]float64
	Shipping []string // shipping methods named
	Claims   []string // markets it claims a history on, lower-cased
	Photos   []Photo  // product photos, distinct by SHA-256 (bounded: see MaxPhotos)
	// Captures maps a datum to the page showing it: "pgp:<fp>",
	// "uid:<user id>", "sub:<fp>",
	// "crypto:<address>", "contact:<kind:value>", "claim:<market>",
	// "photo:<sha256>",
	// "handle", "text", "business".
	Captures map[string]string
}

// Photo is a product photo an account shows: SHA-256 of its bytes and its
// 64-bit perceptual hash (pHash, internal/images), as listing_images
// holds them. The photo signal reads them (photo.go).
type Photo struct {
	SHA256 string
	PHash  uint64
}

// MaxPhotos bounds the distinct photos of one account the photo signal
// reads.
const MaxPhotos = 64

// AddPhoto adds p (shown on the page capture, "" for none) unless the
// account shows it already; it reports false when the account holds
// MaxPhotos already and p was left out.
func (a *Account) AddPhoto(p Photo, capture string) bool {
	if slices.ContainsFunc(a.Photos, func(q Photo) bool { return q.SHA256 == p.SHA256 }) {
		return true
	}
	if len(a.Photos) >= MaxPhotos {
		return false
	}
	a.Photos = append(a.Photos, p)
	if capture != "" {
		if a.Captures == nil {
			a.Captures = map[string]string{}
		}
		a.Captures["photo:"+p.SHA256] = capture
	}
	return true
}

// Key is source:handle.
func (a *Account) Key() string { return a.Source + ":" + a.Handle }

// MaxTextBytes bounds the text of one account that stylometry reads.
const MaxTextBytes = 32 << 10

// capture returns the page showing datum, or "".
func (a *Account) capture(datum string) string {
	if a.Captures == nil {
		return ""
	}
	return a.Captures[datum]
}

// AddText adds t to the account's texts, within MaxTextBytes; it reports
// whether it was kept whole.
func (a *Account) AddText(t string) bool {
	n := 0
	for _, s := range a.Texts {
		n += len(s)
	}
	if n >= MaxTextBytes {
		return false
	}
	if n+len(t) > MaxTextBytes {
		a.Texts = append(a.Texts, t[:MaxTextBytes-n])
		return false
	}
	a.Texts = append(a.Texts, t)
	return true
}

// leetDigits maps the digits vendors write for letters.
var leetDigits = map[rune]rune{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', '$': 's'}

// Skeleton is a handle as handle similarity compares it: lower-cased,
// separators and trailing digits removed, leetspeak digits read as the
// letters they stand for: "N0rd1c_K1ngs42" -> "nordickings".
func Skeleton(handle string) string {
	h := strings.ToLower(handle)
	h = strings.TrimRightFunc(h, unicode.IsDigit)
	var b strings.Builder
	for _, c := range h {
		if l, ok := leetDigits[c]; ok {
			b.WriteRune(l)
			continue
		}
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return strings.ToLower(handle)
	}
	return b.String()
}

// similarity is 1 - the Levenshtein distance of a and b over the longer
// length: 1 for equal strings, 0 for nothing in common.
func similarity(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 && len(rb) == 0 {
		return 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return 1 - float64(prev[len(rb)])/float64(max(len(ra), len(rb)))
}

// jaccard is |a ∩ b| / |a ∪ b| of two sets given as lists (0 when both
// are empty).
func jaccard(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for _, x := range a {
		if slices.Contains(b, x) {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// shared lists the values of a also in b.
func shared(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
