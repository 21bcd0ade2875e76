package links

import (
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"unicode"
)

// The stylometric profile of an account: character 4-grams of its text
// weighted tf-idf over all accounts (phrasing every vendor shares weighs
// little, an account's own habits much), rates of punctuation and
// formatting habits, and the word 3-grams (shingles) blocking reads.

const (
	gramBits   = 20 // character n-grams hash into 2^gramBits buckets
	gramLen    = 4
	habitCount = 14
)

type profile struct {
	grams    []uint32  // sorted bucket ids
	weights  []float32 // tf-idf, unit length after finish
	habits   [habitCount]float64
	shingles []uint64 // distinct word 3-gram hashes
	hasText  bool
}

// newProfile counts the n-grams, habits and shingles of texts; weights
// hold term frequencies until the index knows document frequencies.
func newProfile(texts []string) profile {
	var p profile
	counts := map[uint32]int{}
	sh := map[uint64]bool{}
	total := 0
	var hb [habitCount]float64
	sentences, lowerStarts, sentenceChars := 0, 0, 0
	for _, t := range texts {
		if t == "" {
			continue
		}
		p.hasText = true
		r := []rune(t)
		total += len(r)
		for i := 0; i+gramLen <= len(r); i++ {
			counts[hashRunes(r[i:i+gramLen])]++
		}
		habitCounts(t, &hb)
		for _, s := range splitSentences(t) {
			sentences++
			sentenceChars += len(s)
			if c := []rune(s)[0]; unicode.IsLower(c) {
				lowerStarts++
			}
		}
		words := strings.FieldsFunc(strings.ToLower(t), func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) })
		for i := 0; i+3 <= len(words); i++ {
			h := fnv.New64a()
			h.Write([]byte(words[i] + " " + words[i+1] + " " + words[i+2]))
			sh[h.Sum64()] = true
		}
	}
	if !p.hasText {
		return p
	}
	per := 100 / float64(max(total, 1))
	for i := range 12 {
		p.habits[i] = hb[i] * per
	}
	p.habits[12] = float64(lowerStarts) / float64(max(sentences, 1))
	p.habits[13] = float64(sentenceChars) / float64(max(sentences, 1)) / 100
	p.grams = make([]uint32, 0, len(counts))
	for g := range counts {
		p.grams = append(p.grams, g)
	}
	slices.Sort(p.grams)
	p.weights = make([]float32, len(p.grams))
	for i, g := range p.grams {
		p.weights[i] = float32(1 + math.Log(float64(counts[g])))
	}
	for s := range sh {
		p.shingles = append(p.shingles, s)
	}
	slices.Sort(p.shingles)
	return p
}

func hashRunes(r []rune) uint32 {
	h := uint32(2166136261)
	for _, c := range r {
		h ^= uint32(c)
		h *= 16777619
	}
	return h & (1<<gramBits - 1)
}

// habitCounts adds the counts of the habits one text shows: exclamation
// marks, doubled ones, question marks, ellipses, pipes, tildes, asterisks,
// ampersands, slashes, smileys, upper-case letters, dashes between words.
func habitCounts(t string, hb *[habitCount]float64) {
	hb[0] += float64(strings.Count(t, "!"))
	hb[1] += float64(strings.Count(t, "!!"))
	hb[2] += float64(strings.Count(t, "?"))
	hb[3] += float64(strings.Count(t, "..."))
	hb[4] += float64(strings.Count(t, "|"))
	hb[5] += float64(strings.Count(t, "~"))
	hb[6] += float64(strings.Count(t, "*"))
	hb[7] += float64(strings.Count(t, "&"))
	hb[8] += float64(strings.Count(t, "/"))
	hb[9] += float64(strings.Count(t, ":)") + strings.Count(t, ";)") + strings.Count(t, ":D"))
	for _, c := range t {
		if unicode.IsUpper(c) {
			hb[10]++
		}
	}
	hb[11] += float64(strings.Count(t, " - "))
}

func splitSentences(t string) []string {
	return strings.FieldsFunc(t, func(c rune) bool { return c == '.' || c == '!' || c == '?' || c == '|' || c == '~' || c == '*' })
}

// cosine of two tf-idf profiles (unit length).
func cosine(a, b *profile) float64 {
	var s float64
	i, j := 0, 0
	for i < len(a.grams) && j < len(b.grams) {
		switch {
		case a.grams[i] < b.grams[j]:
			i++
		case a.grams[i] > b.grams[j]:
			j++
		default:
			s += float64(a.weights[i]) * float64(b.weights[j])
			i++
			j++
		}
	}
	return s
}

// habitCosine is the cosine of two habit vectors standardized over all
// accounts (mean and sd), in [-1, 1]; 0 when either has no text.
func habitCosine(a, b *profile, mean, sd *[habitCount]float64) float64 {
	if !a.hasText || !b.hasText {
		return 0
	}
	var dot, na, nb float64
	for k := range habitCount {
		if sd[k] == 0 {
			continue
		}
		x, y := (a.habits[k]-mean[k])/sd[k], (b.habits[k]-mean[k])/sd[k]
		dot, na, nb = dot+x*y, na+x*x, nb+y*y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
