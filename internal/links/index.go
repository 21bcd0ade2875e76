package links

import (
	"math"
	"slices"
	"strings"
)

// Index holds the accounts being linked and what features and blocking
// need of all of them at once: how many accounts hold each identifier,
// the document frequencies of n-grams and shingles, and the mean and
// spread of writing habits.
type Index struct {
	Accounts []Account
	prof     []profile
	skel     []string
	holders  map[string]int // "pgp:", "uid:", "sub:", "crypto:", "contact:", "skel:" + value -> accounts holding it
	habMean  [habitCount]float64
	habSD    [habitCount]float64
	shingDF  map[uint64]int
	photos   *photoIndex
	features []string
}

// NewIndex builds the index of accounts (it keeps the slice).
func NewIndex(accounts []Account) *Index {
	ix := &Index{Accounts: accounts, prof: make([]profile, len(accounts)), skel: make([]string, len(accounts)),
		holders: map[string]int{}, shingDF: map[uint64]int{}, photos: newPhotoIndex(accounts), features: Features()}
	df := map[uint32]int{}
	texts := 0
	for i := range accounts {
		a := &accounts[i]
		ix.prof[i] = newProfile(a.Texts)
		ix.skel[i] = Skeleton(a.Handle)
		for _, k := range identifierKeys(a, ix.skel[i]) {
			ix.holders[k]++
		}
		p := &ix.prof[i]
		if !p.hasText {
			continue
		}
		texts++
		for _, g := range p.grams {
			df[g]++
		}
		for _, s := range p.shingles {
			ix.shingDF[s]++
		}
		for k := range habitCount {
			ix.habMean[k] += p.habits[k]
		}
	}
	if texts == 0 {
		return ix
	}
	for k := range habitCount {
		ix.habMean[k] /= float64(texts)
	}
	for i := range ix.prof {
		p := &ix.prof[i]
		if !p.hasText {
			continue
		}
		for k := range habitCount {
			d := p.habits[k] - ix.habMean[k]
			ix.habSD[k] += d * d
		}
		var norm float64
		for j, g := range p.grams {
			w := float64(p.weights[j]) * math.Log(float64(texts+1)/float64(df[g]))
			p.weights[j] = float32(w)
			norm += w * w
		}
		if norm > 0 {
			norm = math.Sqrt(norm)
			for j := range p.weights {
				p.weights[j] = float32(float64(p.weights[j]) / norm)
			}
		}
	}
	for k := range habitCount {
		ix.habSD[k] = math.Sqrt(ix.habSD[k] / float64(texts))
	}
	return ix
}

// identifierKeys are the identifiers of a, each prefixed by its kind.
func identifierKeys(a *Account, skel string) []string {
	var out []string
	for _, v := range a.PGP {
		out = append(out, "pgp:"+strings.ToUpper(v))
	}
	for _, v := range a.PGPUserIDs {
		out = append(out, "uid:"+v)
	}
	for _, v := range a.PGPSubkeys {
		out = append(out, "sub:"+strings.ToUpper(v))
	}
	for _, v := range a.Crypto {
		out = append(out, "crypto:"+v)
	}
	for _, v := range a.Contacts {
		out = append(out, "contact:"+v)
	}
	if len(skel) >= 3 {
		out = append(out, "skel:"+skel)
	}
	return out
}

// rarity weighs an identifier held by n accounts: 1 when two hold it, less
// the more hold it (a stock photo, a market-wide address, a generic handle
// stem), 0 for one holder.
func rarity(n int) float64 {
	if n < 2 {
		return 0
	}
	return 1 / math.Log2(float64(n))
}

// sharedRarest returns the shared value of kind (as in identifierKeys)
// held by the fewest accounts, with its rarity.
func (ix *Index) sharedRarest(kind string, a, b []string) (string, float64) {
	best, score := "", 0.0
	for _, v := range a {
		if kind == "pgp:" || kind == "sub:" {
			v = strings.ToUpper(v)
		}
		if !slices.ContainsFunc(b, func(w string) bool { return strings.EqualFold(v, w) }) {
			continue
		}
		if s := rarity(ix.holders[kind+v]); s > score {
			best, score = v, s
		}
	}
	return best, score
}
