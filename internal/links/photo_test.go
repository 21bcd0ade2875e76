package links

import (
	"fmt"
	"math"
	"testing"

	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/images"
)

// photoOf hashes the copy of the fixture picture seed that market serves
// (as the collector would).
func photoOf(t *testing.T, market, seed string) Photo {
	t.Helper()
	p, m, err := images.Analyze(fixture.VariantOf(market, seed), false, images.Limits{}, nil)
	if err != nil || m != nil {
		t.Fatalf("analyzing %s on %s: %v (match %v)", seed, market, err, m)
	}
	return Photo{SHA256: p.SHA256, PHash: p.PHash}
}

// TestStockPhotoDoesNotLinkButCopiesDo: 24 unrelated vendors on four
// markets all show one stock photo (each market's copy of it) and
// nothing else in common; none of them is paired by blocking, and scored
// anyway no pair links and the photo adds little (stock:0: its four
// copies are within 8 bits of each other; Cobalt's watermarked copy of
// stock:1 is 16 to 22 bits from the others, no near copy). Two accounts showing a
// vendor's own photo, re-encoded on one market and cropped on another,
// are paired, and the photo raises their odds (e^6.5 with the committed
// model, from nothing else in common); copies of two of its photos link
// them.
func TestStockPhotoDoesNotLinkButCopiesDo(t *testing.T) {
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	markets := []string{fixture.Nebula, fixture.Harbor, fixture.Whitehall, fixture.Cobalt}
	words := []string{"amber", "birch", "cobra", "delta", "ember", "fjord", "gecko", "harpy", "ivory", "jumbo", "koala", "lemur",
		"mango", "nylon", "opera", "pluto", "quark", "raven", "sumac", "tulip", "umbra", "viper", "waltz", "xenon"}
	var accts []Account
	for i, w := range words {
		mk := markets[i%len(markets)]
		a := Account{Source: mk, Handle: fmt.Sprintf("%s%c%c", w, 'q'+i%5, 'a'+i/5)}
		a.AddPhoto(photoOf(t, mk, "stock:0"), "")
		a.AddPhoto(photoOf(t, mk, fmt.Sprintf("own:%d:0", 9000+i)), "")
		accts = append(accts, a)
	}
	own := len(accts)
	harbor := Account{Source: fixture.Harbor, Handle: "zanzibarexpress"}
	harbor.AddPhoto(photoOf(t, fixture.Harbor, "own:777:1"), "") // re-encoded at quality 55
	harbor.AddPhoto(photoOf(t, fixture.Harbor, "stock:0"), "")
	whitehall := Account{Source: fixture.Whitehall, Handle: "quietmountain"}
	whitehall.AddPhoto(photoOf(t, fixture.Whitehall, "own:777:1"), "") // cropped 3% a side
	accts = append(accts, harbor, whitehall)
	ix := NewIndex(accts)
	pairs, _ := ix.Candidates(BlockOptions{})
	proposed := map[[2]int32]bool{}
	for _, p := range pairs {
		proposed[p] = true
	}
	var worst, worstPhoto float64
	for i := range own {
		for j := i + 1; j < own; j++ {
			if proposed[[2]int32{int32(i), int32(j)}] {
				t.Errorf("%s and %s: paired by blocking on a stock photo 26 vendors show", accts[i].Key(), accts[j].Key())
			}
			x, ev := ix.pairFeatures(i, j, true)
			p, cs := m.Score(x, ev)
			worst = max(worst, p)
			for _, c := range cs {
				if c.Signal == SignalPhoto {
					worstPhoto = max(worstPhoto, c.LogOdds)
				}
			}
		}
	}
	if worst >= m.Threshold {
		t.Errorf("a stock photo links unrelated vendors: probability %.3f", worst)
	}
	if !proposed[[2]int32{int32(own), int32(own + 1)}] {
		t.Error("the two accounts showing copies of one own photo are not paired by blocking")
	}
	x, ev := ix.pairFeatures(own, own+1, true)
	with, cs := m.Score(x, ev)
	copyPhoto := 0.0
	for _, c := range cs {
		if c.Signal == SignalPhoto {
			copyPhoto = c.LogOdds
			t.Logf("copies: %s", c.Value)
		}
	}
	noPhotos := []Account{harbor, whitehall}
	noPhotos[0].Photos, noPhotos[1].Photos = nil, nil
	nx, nev := NewIndex(noPhotos).pairFeatures(0, 1, false)
	without, _ := m.Score(nx, nev)
	// A second photo of the vendor's on both.
	harbor.AddPhoto(photoOf(t, fixture.Harbor, "own:777:2"), "")
	whitehall.AddPhoto(photoOf(t, fixture.Whitehall, "own:777:2"), "")
	accts[own], accts[own+1] = harbor, whitehall
	x2, ev2 := NewIndex(accts).pairFeatures(own, own+1, false)
	two, _ := m.Score(x2, ev2)
	t.Logf("stock photo: highest probability %.4f, photo contribution at most %+.2f; own photo copies: %.4f without photos, "+
		"%.4f with one copied photo (photo %+.2f), %.4f with two", worst, worstPhoto, without, with, copyPhoto, two)
	if logit(with)-logit(without) < 4 {
		t.Errorf("a re-encoded and a cropped copy of one photo: probability %.4f with photos, %.4f without; want the odds raised e^4 times", with, without)
	}
	if two < m.Threshold {
		t.Errorf("copies of two of a vendor's photos: probability %.3f, want it linked (%.2f)", two, m.Threshold)
	}
	if worstPhoto > copyPhoto/10 {
		t.Errorf("a stock photo 26 vendors show adds %+.2f log-odds, a vendor's own photo %+.2f: want under a tenth", worstPhoto, copyPhoto)
	}
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }
