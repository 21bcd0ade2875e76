// Package images turns the bytes of a listing photo into what counternet
// keeps of it: its SHA-256, three 64-bit perceptual hashes (pHash, dHash,
// aHash, github.com/corona10/goimagehash), its format and pixel size. It
// checks the operator's blocklist of known-illegal images before anything
// else happens to a photo (Analyze): a match returns only the blocklist
// entry that matched, never the photo's hashes, so no caller can store them.
//
// Decoding is bounded: the bytes by Limits.MaxBytes (the fetcher cuts the
// body there), the pixel size by Limits.MaxPixels and MaxSide read from
// the header (image.DecodeConfig) before any pixel is decoded, so a
// decompression bomb is refused without allocating its bitmap. Only JPEG,
// PNG and GIF (first frame) are decoded.
package images

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/bits"
	"time"

	"github.com/corona10/goimagehash"
)

// Sentinel errors of Analyze, checked with errors.Is. Each has a Reason.
var (
	// ErrTooLarge marks bytes over Limits.MaxBytes (a cut body).
	ErrTooLarge = errors.New("image over the byte limit")
	// ErrDimensions marks a header whose pixel size is zero or over
	// Limits.MaxPixels or MaxSide: a decompression bomb or no image.
	ErrDimensions = errors.New("image dimensions refused")
	// ErrFormat marks bytes that are not JPEG, PNG or GIF.
	ErrFormat = errors.New("image format not supported")
	// ErrCorrupt marks a supported image that does not decode (truncated,
	// malformed).
	ErrCorrupt = errors.New("image does not decode")
)

// Reasons recorded with a refused image (event.Image.Reason).
const (
	ReasonTooLarge    = "too_large"
	ReasonDimensions  = "dimensions"
	ReasonFormat      = "format"
	ReasonCorrupt     = "corrupt"
	ReasonContentType = "content_type" // the server said it is not an image
	ReasonHTTP        = "http_error"
	ReasonTimeout     = "timeout"
	ReasonFetch       = "fetch_error"
	ReasonPageLimit   = "page_limit" // over Limits.PerPage: not fetched
	ReasonRunLimit    = "run_limit"  // over Limits.PerRun: not fetched
	ReasonURL         = "bad_url"    // not an http(s) URL on the site's hosts
)

// Reason is the recorded reason of an Analyze error ("" for nil, "corrupt"
// for an error of no known kind).
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, ErrDimensions):
		return ReasonDimensions
	case errors.Is(err, ErrFormat):
		return ReasonFormat
	}
	return ReasonCorrupt
}

// Defaults for zero Limits fields.
const (
	DefaultMaxBytes  = 4 << 20
	DefaultMaxPixels = 8_000_000
	DefaultMaxSide   = 8192
	DefaultPerPage   = 8
	DefaultPerRun    = 5000
	DefaultTimeout   = 30 * time.Second
	DefaultPageTime  = 2 * time.Minute
)

// Limits bound what is fetched and decoded.
type Limits struct {
	// MaxBytes bounds one image's body (default 4 MiB).
	MaxBytes int64
	// MaxPixels bounds width*height read from the header (default 8
	// million: a 16-bit RGBA bitmap of it is 64 MB); MaxSide bounds either
	// side (default 8192).
	MaxPixels int64
	MaxSide   int
	// PerPage bounds the images fetched for one page, PerRun for one run.
	PerPage int
	PerRun  int
	// Timeout bounds one image's fetch; PageTime all the images of a page.
	Timeout  time.Duration
	PageTime time.Duration
}

// WithDefaults fills zero fields with the defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxSide <= 0 {
		l.MaxSide = DefaultMaxSide
	}
	if l.PerPage <= 0 {
		l.PerPage = DefaultPerPage
	}
	if l.PerRun <= 0 {
		l.PerRun = DefaultPerRun
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.PageTime <= 0 {
		l.PageTime = DefaultPageTime
	}
	return l
}

// Photo is what counternet keeps of one image: the Go type the links
// model's photo signal reads (one row of listing_images).
type Photo struct {
	SHA256 string // 64 lower-case hex digits of the bytes
	// PHash, DHash and AHash are the 64-bit perceptual hashes; near
	// copies (re-encoded, cropped, watermarked) are a small Hamming
	// distance apart (Distance).
	PHash, DHash, AHash uint64
	Width, Height       int
	Format              string // jpeg, png, gif
}

// Distance is the Hamming distance of two 64-bit perceptual hashes.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// Hex is a 64-bit hash as the 16 lower-case hex digits events carry.
func Hex(h uint64) string { return fmt.Sprintf("%016x", h) }

// ParseHex reads a 64-bit hash written as 16 hex digits.
func ParseHex(s string) (uint64, error) {
	if len(s) != 16 {
		return 0, fmt.Errorf("hash %q: want 16 hex digits", cut(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return 0, fmt.Errorf("hash %q: %w", cut(s), err)
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

func cut(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Analyze checks body against bl (nil: no blocklist) and hashes it. The
// order is the contract:
//  1. the SHA-256 of the bytes is checked against the blocklist;
//  2. the header is decoded (format, pixel size) and held to lim;
//  3. the pixels are decoded and the perceptual hashes computed;
//  4. the perceptual hashes are checked against the blocklist.
//
// A blocklist match returns a non-nil Match and a zero Photo whatever the
// step: the caller learns which entry matched, never the hashes. An error
// (see Reason) means the image was refused; truncated says the body was
// cut at the byte limit.
func Analyze(body []byte, truncated bool, lim Limits, bl *Blocklist) (Photo, *Match, error) {
	lim = lim.WithDefaults()
	sum := sha256.Sum256(body)
	if m := bl.matchSHA(sum); m != nil {
		return Photo{}, m, nil
	}
	if truncated || int64(len(body)) > lim.MaxBytes {
		return Photo{}, nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, lim.MaxBytes)
	}
	img, format, err := decode(body, lim)
	if err != nil {
		return Photo{}, nil, err
	}
	p := Photo{SHA256: hex.EncodeToString(sum[:]), Format: format,
		Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	ph, err := goimagehash.PerceptionHash(img)
	if err != nil {
		return Photo{}, nil, fmt.Errorf("%w: phash: %w", ErrCorrupt, err)
	}
	dh, err := goimagehash.DifferenceHash(img)
	if err != nil {
		return Photo{}, nil, fmt.Errorf("%w: dhash: %w", ErrCorrupt, err)
	}
	ah, err := goimagehash.AverageHash(img)
	if err != nil {
		return Photo{}, nil, fmt.Errorf("%w: ahash: %w", ErrCorrupt, err)
	}
	p.PHash, p.DHash, p.AHash = ph.GetHash(), dh.GetHash(), ah.GetHash()
	if m := bl.matchPerceptual(p); m != nil {
		return Photo{}, m, nil
	}
	return p, nil, nil
}

// decode reads the header, holds the pixel size to lim, then decodes the
// pixels (the first frame of a GIF).
func decode(body []byte, lim Limits) (image.Image, string, error) {
	format := sniff(body)
	if format == "" {
		return nil, "", fmt.Errorf("%w: not JPEG, PNG or GIF (starts %q)", ErrFormat, head(body))
	}
	var (
		cfg image.Config
		err error
	)
	switch format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(body))
	case "png":
		cfg, err = png.DecodeConfig(bytes.NewReader(body))
	case "gif":
		cfg, err = gif.DecodeConfig(bytes.NewReader(body))
	}
	if err != nil {
		return nil, format, fmt.Errorf("%w: %s header: %w", ErrCorrupt, format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > lim.MaxSide || cfg.Height > lim.MaxSide ||
		int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
		return nil, format, fmt.Errorf("%w: %s of %dx%d pixels (at most %d pixels, %d a side)",
			ErrDimensions, format, cfg.Width, cfg.Height, lim.MaxPixels, lim.MaxSide)
	}
	var img image.Image
	switch format {
	case "jpeg":
		img, err = jpeg.Decode(bytes.NewReader(body))
	case "png":
		img, err = png.Decode(bytes.NewReader(body))
	case "gif":
		img, err = gif.Decode(bytes.NewReader(body))
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, format, fmt.Errorf("%w: %s truncated: %w", ErrCorrupt, format, err)
		}
		return nil, format, fmt.Errorf("%w: %s: %w", ErrCorrupt, format, err)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 || int64(b.Dx())*int64(b.Dy()) > lim.MaxPixels {
		return nil, format, fmt.Errorf("%w: decoded %dx%d", ErrDimensions, b.Dx(), b.Dy())
	}
	return img, format, nil
}

// sniff names the format from the first bytes; "" for none it decodes.
func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "gif"
	}
	return ""
}

func head(b []byte) []byte {
	if len(b) > 8 {
		return b[:8]
	}
	return b
}
