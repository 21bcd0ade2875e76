package images_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"runtime"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/images"
)

// pngBomb is a valid PNG header claiming w x h pixels, followed by a tiny
// IDAT: a decompression bomb as far as a decoder trusting it is concerned.
func pngBomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		b.WriteString(typ)
		b.Write(data)
		_ = binary.Write(&b, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// TestHostileImagesRefused: a decompression bomb, a truncated JPEG, a cut
// body, HTML served as an image and an empty body are each refused with
// their reason, and the bomb is refused from its header, without
// allocating its bitmap.
func TestHostileImagesRefused(t *testing.T) {
	good := fixture.VariantOf(fixture.Nebula, "own:1:1")
	var small bytes.Buffer
	if err := png.Encode(&small, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		body      []byte
		truncated bool
		want      error
		reason    string
	}{
		{"png bomb 100000x100000", pngBomb(100000, 100000), false, images.ErrDimensions, images.ReasonDimensions},
		{"png bomb 8192x8192 (side ok, pixels not)", pngBomb(8192, 8192), false, images.ErrDimensions, images.ReasonDimensions},
		{"png zero width", pngBomb(0, 10), false, nil, ""},
		{"truncated jpeg", good[:len(good)/2], false, images.ErrCorrupt, images.ReasonCorrupt},
		{"jpeg cut at the byte limit", good, true, images.ErrTooLarge, images.ReasonTooLarge},
		{"html said to be an image", []byte("<!DOCTYPE html><html><body>captcha</body></html>"), false, images.ErrFormat, images.ReasonFormat},
		{"empty", nil, false, images.ErrFormat, images.ReasonFormat},
		{"webp (not decoded)", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), false, images.ErrFormat, images.ReasonFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			p, m, err := images.Analyze(c.body, c.truncated, images.Limits{}, nil)
			runtime.ReadMemStats(&after)
			if m != nil || p.SHA256 != "" {
				t.Fatalf("got a photo %+v / match %v from a hostile image", p, m)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
			if c.reason != "" && images.Reason(err) != c.reason {
				t.Errorf("reason %q, want %q", images.Reason(err), c.reason)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("allocated %d bytes refusing it", grew)
			}
			t.Logf("refused: %v", err)
		})
	}
	if _, _, err := images.Analyze(small.Bytes(), false, images.Limits{}, nil); err != nil {
		t.Errorf("a 4x4 PNG: %v", err)
	}
}

// TestBlocklistMatchesBeforeAnythingIsReturned: the blocklisted test
// image matches by SHA-256 as served, its re-encoding by pHash, and in
// both cases Analyze returns the entry and no hash; no other fixture photo
// matches.
func TestBlocklistMatchesBeforeAnythingIsReturned(t *testing.T) {
	blocked := fixture.BlockedImage()
	p, _, err := images.Analyze(blocked, false, images.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bl, err := images.ParseBlocklist("test", strings.NewReader(fixture.TestBlocklist(p.SHA256, images.Hex(p.PHash))))
	if err != nil {
		t.Fatal(err)
	}
	if bl.Len() != 2 {
		t.Fatalf("%d entries", bl.Len())
	}
	w := fixture.Generate(7)
	harbor := w.Market(fixture.Harbor)
	reencoded, _, ok := harbor.Photo(harbor.BlockedListing(), 2)
	if !ok {
		t.Fatal("harbor serves no blocked photo")
	}
	for _, c := range []struct {
		name, entry, by string
		body            []byte
	}{
		{"exact", "fixture-0001", images.KindSHA256, blocked},
		{"re-encoded", "fixture-0002", images.KindPHash, reencoded},
	} {
		got, m, err := images.Analyze(c.body, false, images.Limits{}, bl)
		if err != nil || m == nil || m.EntryID != c.entry || m.By != c.by {
			t.Errorf("%s: match %+v, err %v; want %s by %s", c.name, m, err, c.entry, c.by)
		}
		if got != (images.Photo{}) {
			t.Errorf("%s: a blocklisted image returned %+v", c.name, got)
		}
	}
	for _, m := range w.AllMarkets() {
		for _, l := range m.Listings[:20] {
			for n := 1; n <= 2; n++ {
				if l.ID == m.BlockedListing() && n == 2 {
					continue
				}
				body, _, _ := m.Photo(l.ID, n)
				if _, match, err := images.Analyze(body, false, images.Limits{}, bl); err != nil || match != nil {
					t.Errorf("%s %s/%d: match %v, err %v", m.Name, l.ID, n, match, err)
				}
			}
		}
	}
}

func TestBlocklistErrors(t *testing.T) {
	in := "ok-1 sha256 " + strings.Repeat("ab", 32) + "\n" +
		"bad id! sha256 00\n" +
		"x2 phash 0011223344556677\n" +
		"x3 phash 0011223344556677 40\n" +
		"x4 md5 00\n" +
		"ok-1 ahash 0011223344556677 2 # duplicate id\n"
	_, err := images.ParseBlocklist("bl.txt", strings.NewReader(in))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"bl.txt:2:", "bl.txt:3: a phash entry needs a max distance", "bl.txt:4: distance", "bl.txt:5: kind", "bl.txt:6: entry id \"ok-1\" already used on line 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nlacks %q", err, want)
		}
	}
}

// FuzzAnalyze: whatever the bytes, Analyze returns a photo with hashes
// or an error with a known reason, within the bounds, and never panics.
func FuzzAnalyze(f *testing.F) {
	f.Add(fixture.VariantOf(fixture.Nebula, "own:0:0"))
	f.Add(fixture.VariantOf(fixture.Cobalt, "own:0:0"))
	f.Add(pngBomb(100000, 100000))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := images.Limits{MaxPixels: 1 << 20, MaxSide: 2048}
		p, _, err := images.Analyze(b, false, lim, nil)
		if err != nil {
			if images.Reason(err) == "" {
				t.Fatalf("error without reason: %v", err)
			}
			return
		}
		if p.Width <= 0 || p.Height <= 0 || int64(p.Width)*int64(p.Height) > 1<<20 || len(p.SHA256) != 64 {
			t.Fatalf("photo %+v out of bounds", p)
		}
	})
}
