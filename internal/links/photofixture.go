package links

import (
	"fmt"
	"strings"
	"sync"

	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/images"
)

// The photos of a fixture world as the collector would keep them: every
// listing's photos (fixture.Market.Photo, the bytes the market serves),
// checked against the fixture's test blocklist and hashed by
// images.Analyze. A blocklisted photo is left out, as the collector leaves
// it out. What a market serves for a photo depends only on the market's
// name and the photo's seed (fixture.Market.PhotoSeed), so the analysis is
// kept per (market, seed) and not repeated for every listing and world.

var photoCache = struct {
	sync.Mutex
	byKey map[string]photoResult
	bl    *images.Blocklist
	err   error
}{byKey: map[string]photoResult{}}

type photoResult struct {
	photo   images.Photo
	blocked bool
}

// fixtureBlocklist is the fixture's test blocklist (fixture.TestBlocklist),
// naming the blocklisted test image by SHA-256 and pHash. Caller holds the lock.
func fixtureBlocklist() (*images.Blocklist, error) {
	if photoCache.bl != nil || photoCache.err != nil {
		return photoCache.bl, photoCache.err
	}
	body := fixture.BlockedImage()
	p, _, err := images.Analyze(body, false, images.Limits{}, nil)
	if err != nil {
		photoCache.err = fmt.Errorf("hashing the fixture's blocklisted test image: %w", err)
		return nil, photoCache.err
	}
	photoCache.bl, photoCache.err = images.ParseBlocklist("fixture test blocklist",
		strings.NewReader(fixture.TestBlocklist(p.SHA256, images.Hex(p.PHash))))
	return photoCache.bl, photoCache.err
}

// FixturePhoto analyzes photo n (1 or 2) of listing l on m as the
// collector would: ok is false for a photo the blocklist matched (never
// kept).
func FixturePhoto(m *fixture.Market, l fixture.Listing, n int) (images.Photo, bool, error) {
	key := m.Name + "\x00" + m.PhotoSeed(l, n)
	photoCache.Lock()
	defer photoCache.Unlock()
	if r, ok := photoCache.byKey[key]; ok {
		return r.photo, !r.blocked, nil
	}
	bl, err := fixtureBlocklist()
	if err != nil {
		return images.Photo{}, false, err
	}
	body, _, ok := m.Photo(l.ID, n)
	if !ok {
		return images.Photo{}, false, fmt.Errorf("fixture market %s serves no photo %d of listing %s", m.Name, n, l.ID)
	}
	p, match, err := images.Analyze(body, false, images.Limits{}, bl)
	if err != nil {
		return images.Photo{}, false, fmt.Errorf("analyzing photo %d of %s on %s: %w", n, l.ID, m.Name, err)
	}
	photoCache.byKey[key] = photoResult{photo: p, blocked: match != nil}
	return p, match == nil, nil
}

// addFixturePhotos adds the photos of the vendor's listings to a (no
// capture: the pages of a generated world are not captured).
func (a *Account) addFixturePhotos(m *fixture.Market, listings []fixture.Listing) error {
	for _, l := range listings {
		for n := 1; n <= 2; n++ {
			p, ok, err := FixturePhoto(m, l, n)
			if err != nil {
				return err
			}
			if ok {
				a.AddPhoto(Photo{SHA256: p.SHA256, PHash: p.PHash}, "")
			}
		}
	}
	return nil
}
