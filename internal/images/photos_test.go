package images_test

import (
	"fmt"
	"testing"

	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/images"
)

// nearCopy is the pHash distance within which the fixture's copies of one
// photo (re-encoded, cropped, watermarked) must fall; farApart the
// distance every two different photos must exceed.
const (
	nearCopy = 12
	farApart = 16
)

// photoOf analyzes the copy of the photo seed that market serves.
func analyze(t *testing.T, body []byte) images.Photo {
	t.Helper()
	p, m, err := images.Analyze(body, false, images.Limits{}, nil)
	if err != nil || m != nil {
		t.Fatalf("analyzing: %v (match %v)", err, m)
	}
	return p
}

// TestCopiesAreNearAndOthersFar: every market's copy of a vendor's photo
// (Harbor re-encoded at quality 55, Whitehall cropped 3% a side, Cobalt
// watermarked as PNG) is within nearCopy of Nebula's original in pHash,
// and different photos (of other identities, stock photos) are farther
// than farApart from each other.
func TestCopiesAreNearAndOthersFar(t *testing.T) {
	w := fixture.Generate(7)
	markets := w.AllMarkets()
	var originals []images.Photo
	var seeds []string
	worst := 0
	for i := range 40 {
		seed := fmt.Sprintf("own:%d:%d", i/ownPhotosPerIdentity, i%ownPhotosPerIdentity)
		orig := analyze(t, fixture.VariantOf(fixture.Nebula, seed))
		for _, m := range markets {
			p := analyze(t, fixture.VariantOf(m.Name, seed))
			d := images.Distance(orig.PHash, p.PHash)
			worst = max(worst, d)
			if d > nearCopy {
				t.Errorf("%s on %s: pHash %d bits from the original, want at most %d", seed, m.Name, d, nearCopy)
			}
		}
		originals = append(originals, orig)
		seeds = append(seeds, seed)
	}
	closest := 64
	for i := range originals {
		for j := range i {
			d := images.Distance(originals[i].PHash, originals[j].PHash)
			closest = min(closest, d)
			if d <= farApart {
				t.Errorf("%s and %s: pHash only %d bits apart, want more than %d", seeds[i], seeds[j], d, farApart)
			}
		}
	}
	t.Logf("copies at most %d bits from their original; different photos at least %d bits apart", worst, closest)
}

const ownPhotosPerIdentity = 4
