package links

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"slices"
	"strings"
)

// Blocking: accounts are paired only when they share a key, and a key held
// by more than MaxBlock accounts pairs none of them (it is too common to
// be evidence, and would make pairs by the thousand). Keys: every
// identifier (PGP key and user ID, crypto address, contact), the handle
// skeleton, its first and last five letters, markets claimed, MinHash
// bands of the account's rarer word 3-grams (phrasing shared by few), and
// the product photos it shows or shows near copies of (pHash bands,
// photo.go).

// BlockOptions bound candidate generation: an account holds a bounded
// number of keys and a key pairs a bounded number of accounts, so the
// candidates grow at most linearly with the accounts.
type BlockOptions struct {
	MaxBlock int // largest block of an identifier that pairs its accounts; 0 means 50
	// MaxFuzzyBlock is the same for the fuzzy keys (handle ends, claims,
	// MinHash bands), which common words fill faster; 0 means 16.
	MaxFuzzyBlock int
	NoPGP         bool // leave PGP keys, user IDs and subkeys out of the keys (PGP-hidden evaluation)
}

// BlockStats says what blocking did.
type BlockStats struct {
	Keys          int // distinct keys held by 2 or more accounts
	SkippedBlocks int // keys held by more than MaxBlock accounts, which paired nobody
	Candidates    int // distinct candidate pairs
	// CrowdedPhotoBuckets counts pHash band buckets too full to compare
	// (photo.go): near copies meeting only there are not joined.
	CrowdedPhotoBuckets int
}

const (
	minhashes   = 24
	bandRows    = 2
	maxShingles = 400 // rarest shingles of one account MinHash reads
)

// Candidates returns the candidate pairs (i < j), sorted.
func (ix *Index) Candidates(o BlockOptions) ([][2]int32, BlockStats) {
	if o.MaxBlock <= 0 {
		o.MaxBlock = 50
	}
	if o.MaxFuzzyBlock <= 0 {
		o.MaxFuzzyBlock = 16
	}
	blocks := map[string][]int32{}
	maxDF := max(8, len(ix.Accounts)/500)
	for i := range ix.Accounts {
		for _, k := range ix.blockKeys(i, o, maxDF) {
			blocks[k] = append(blocks[k], int32(i))
		}
	}
	var st BlockStats
	seen := map[uint64]bool{}
	var out [][2]int32
	for key, members := range blocks {
		members = slices.Compact(members)
		if len(members) < 2 {
			continue
		}
		st.Keys++
		limit := o.MaxBlock
		if fuzzyKey(key) {
			limit = o.MaxFuzzyBlock
		}
		if len(members) > limit {
			st.SkippedBlocks++
			continue
		}
		for x := range members {
			for y := x + 1; y < len(members); y++ {
				a, b := members[x], members[y]
				k := uint64(a)<<32 | uint64(b)
				if !seen[k] {
					seen[k] = true
					out = append(out, [2]int32{a, b})
				}
			}
		}
	}
	slices.SortFunc(out, func(p, q [2]int32) int {
		if p[0] != q[0] {
			return int(p[0] - q[0])
		}
		return int(p[1] - q[1])
	})
	st.Candidates = len(out)
	st.CrowdedPhotoBuckets = ix.photos.crowded
	return out, st
}

// fuzzyKey says whether a blocking key is fuzzy (see MaxFuzzyBlock).
func fuzzyKey(k string) bool {
	for _, p := range []string{"head:", "tail:", "claim:", "mh:", "ph:"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// blockKeys are the blocking keys of account i.
func (ix *Index) blockKeys(i int, o BlockOptions, maxDF int) []string {
	a := &ix.Accounts[i]
	var keys []string
	for _, k := range identifierKeys(a, ix.skel[i]) {
		if o.NoPGP && (k[:4] == "pgp:" || k[:4] == "uid:" || k[:4] == "sub:") {
			continue
		}
		keys = append(keys, k)
	}
	if s := []rune(ix.skel[i]); len(s) >= 5 {
		keys = append(keys, "head:"+string(s[:5]), "tail:"+string(s[len(s)-5:]))
	}
	for _, c := range a.Claims {
		keys = append(keys, "claim:"+c)
	}
	keys = append(keys, ix.photos.blockKeys(i)...)
	p := &ix.prof[i]
	var rare []uint64
	for _, s := range p.shingles {
		if ix.shingDF[s] >= 2 && ix.shingDF[s] <= maxDF {
			rare = append(rare, s)
		}
	}
	if len(rare) > maxShingles {
		slices.SortFunc(rare, func(x, y uint64) int { return ix.shingDF[x] - ix.shingDF[y] })
		rare = rare[:maxShingles]
	}
	if len(rare) == 0 {
		return keys
	}
	var sig [minhashes]uint64
	for k := range sig {
		sig[k] = math.MaxUint64
	}
	for _, s := range rare {
		for k := range sig {
			h := mix(s ^ uint64(k+1)*0x9e3779b97f4a7c15)
			sig[k] = min(sig[k], h)
		}
	}
	for band := 0; band < minhashes/bandRows; band++ {
		h := fnv.New64a()
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], uint64(band))
		h.Write(buf[:])
		for r := range bandRows {
			binary.LittleEndian.PutUint64(buf[:], sig[band*bandRows+r])
			h.Write(buf[:])
		}
		binary.LittleEndian.PutUint64(buf[:], h.Sum64())
		keys = append(keys, "mh:"+string(buf[:]))
	}
	return keys
}

// mix is splitmix64's finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
