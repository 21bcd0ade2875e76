package links

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
)

// The photo signal: two accounts showing the same product photo, or a
// near copy of it (re-encoded, cropped, watermarked: a few bits apart in
// the 64-bit pHash), are likely one vendor, unless many vendors show that
// photo (a stock photo), which weakens the evidence toward nothing.
//
// The index groups the accounts' photos by distinct pHash (a node) and
// finds near nodes by LSH: the 64 bits are cut into bands of 16 (four
// contiguous, four of every fourth bit), nodes sharing a band's value are
// compared and joined when within NearDistance. A photo is the group of
// nodes so joined (transitively: a stock photo's copies need not all be
// near each other to be one photo; a chain only makes a photo look more
// common, which weakens, never creates, evidence). Its holders are the
// distinct accounts showing any copy of it; its weight is 1/(holders-1):
// 1 for a photo two accounts show, 1/3 for four (one vendor on four
// markets), 1/39 for a stock photo forty vendors show.

// NearDistance is the largest pHash Hamming distance at which two photos
// are near copies (the fixture's re-encoded, cropped and watermarked
// copies are within 12 bits of their original, different photos more
// than 16 apart: internal/images TestCopiesAreNearAndOthersFar).
const NearDistance = 12

const (
	photoBands = 8
	// maxPhotoBucket bounds the distinct hashes compared in one band
	// bucket; a fuller bucket (hashes crowding one 16-bit value) gives no
	// neighbours through that band.
	maxPhotoBucket = 256
	// maxPhotoHolders bounds the counting of a photo's holders; a photo
	// shown by more weighs (nearly) nothing anyway.
	maxPhotoHolders = 1024
)

// photoFeatures are the photo signal's features (photoSignal).
var photoFeatures = []string{"photo_best", "photo_shared"}

// photoIndex is the photos of the indexed accounts.
type photoIndex struct {
	hash    []uint64  // per node: its pHash
	group   []int32   // per node: its photo (the root node of its group)
	holders []int     // per node: distinct accounts showing its photo (at most maxPhotoHolders)
	of      [][]int32 // per account: the node of each of its photos (as Account.Photos)
	crowded int       // band buckets too full to compare
}

func newPhotoIndex(accounts []Account) *photoIndex {
	px := &photoIndex{of: make([][]int32, len(accounts))}
	nodeOf := map[uint64]int32{}
	for i := range accounts {
		for _, p := range accounts[i].Photos {
			n, ok := nodeOf[p.PHash]
			if !ok {
				n = int32(len(px.hash))
				nodeOf[p.PHash] = n
				px.hash = append(px.hash, p.PHash)
			}
			px.of[i] = append(px.of[i], n)
		}
	}
	px.group = make([]int32, len(px.hash))
	for n := range px.group {
		px.group[n] = int32(n)
	}
	buckets := map[uint32][]int32{}
	for n, h := range px.hash {
		for b := range photoBands {
			k := uint32(b)<<16 | uint32(band(h, b))
			buckets[k] = append(buckets[k], int32(n))
		}
	}
	for _, members := range buckets {
		if len(members) > maxPhotoBucket {
			px.crowded++
			continue
		}
		for x := range members {
			for y := x + 1; y < len(members); y++ {
				u, v := members[x], members[y]
				if bits.OnesCount64(px.hash[u]^px.hash[v]) <= NearDistance {
					px.join(u, v)
				}
			}
		}
	}
	// Holders per photo: distinct accounts, counted up to maxPhotoHolders.
	seen := map[int32]map[int32]bool{}
	for i, nodes := range px.of {
		for _, n := range nodes {
			g := px.root(n)
			if seen[g] == nil {
				seen[g] = map[int32]bool{}
			}
			if len(seen[g]) < maxPhotoHolders {
				seen[g][int32(i)] = true
			}
		}
	}
	px.holders = make([]int, len(px.hash))
	for n := range px.hash {
		px.group[n] = px.root(int32(n))
		px.holders[n] = len(seen[px.group[n]])
	}
	return px
}

func (px *photoIndex) root(n int32) int32 {
	for px.group[n] != n {
		px.group[n] = px.group[px.group[n]]
		n = px.group[n]
	}
	return n
}

func (px *photoIndex) join(u, v int32) {
	if a, b := px.root(u), px.root(v); a != b {
		px.group[max(a, b)] = min(a, b)
	}
}

// band is band b of h: 16 contiguous bits for b < 4, else every fourth
// bit from bit b-4.
func band(h uint64, b int) uint16 {
	if b < 4 {
		return uint16(h >> (16 * b))
	}
	var v uint16
	for k := range 16 {
		v |= uint16(h>>(4*k+b-4)&1) << k
	}
	return v
}

// photoWeight weighs a photo by its holders: 1/(holders-1), 0 for one.
func photoWeight(holders int) float64 {
	if holders < 2 {
		return 0
	}
	return 1 / float64(holders-1)
}

// blockKeys are the photo blocking keys of account i: "ph:<photo>" for
// every photo it shows a copy of, so the accounts holding a key are the
// holders of that photo (a key of a photo many vendors show pairs nobody:
// it is fuzzy, see MaxFuzzyBlock).
func (px *photoIndex) blockKeys(i int) []string {
	var keys []string
	for _, n := range px.of[i] {
		k := "ph:" + strconv.Itoa(int(px.group[n]))
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// photoSignal: x[0] is the best closeness (1 - distance/16) of a near pair
// of their photos times its weight, x[1] log2(1 + the weights of a's
// photos with a near copy in b, summed).
func photoSignal(ix *Index, i, j int, x []float64, explain bool) Evidence {
	px := ix.photos
	if len(px.of[i]) == 0 || len(px.of[j]) == 0 {
		return Evidence{}
	}
	bestK, bestL, bestD, shared := -1, -1, 0, 0
	var sum float64
	for k, u := range px.of[i] {
		wk := 0.0
		for l, v := range px.of[j] {
			d := bits.OnesCount64(px.hash[u] ^ px.hash[v])
			if d > NearDistance {
				continue
			}
			w := photoWeight(max(px.holders[u], px.holders[v]))
			wk = max(wk, w)
			if s := (1 - float64(d)/16) * w; s > x[0] || bestK < 0 {
				x[0], bestK, bestL, bestD = s, k, l, d
			}
		}
		if wk > 0 {
			sum += wk
			shared++
		}
	}
	x[1] = math.Log2(1 + sum)
	if bestK < 0 || !explain {
		return Evidence{}
	}
	a, b := &ix.Accounts[i], &ix.Accounts[j]
	pa, pb := a.Photos[bestK], b.Photos[bestL]
	u, v := px.of[i][bestK], px.of[j][bestL]
	return Evidence{Value: fmt.Sprintf("photo %.12s ~ %.12s: pHash %d bits apart, shown by %d accounts; %d of %d photos with a near copy on the other",
		pa.SHA256, pb.SHA256, bestD, max(px.holders[u], px.holders[v]), shared, len(a.Photos)),
		CaptureA: a.capture("photo:" + pa.SHA256), CaptureB: b.capture("photo:" + pb.SHA256)}
}
