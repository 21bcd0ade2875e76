package event

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Image events. A listing photo the collector fetched is one
// counternet.image.v1 event (an event of its own rather than a list on the
// listing event: photos are fetched after the listing is published, and a
// new schema leaves counternet.listing.v1 as it is). A photo that matched
// the operator's blocklist is never an image event: it is one
// counternet.image_escalation.v1 event, which names where it was seen and
// which blocklist entry it matched, and nothing of the photo itself (no
// bytes, no hash, no size).
const (
	SchemaImage           = "counternet.image.v1"
	SchemaImageEscalation = "counternet.image_escalation.v1"
	TypeImage             = "image"
	TypeImageEscalation   = "image_escalation"
)

// Image outcomes.
const (
	ImageOK      = "ok"
	ImageRefused = "refused"
)

// ImageReasons are the values of Image.Reason (see internal/images).
var ImageReasons = []string{"too_large", "dimensions", "format", "corrupt", "content_type", "http_error",
	"timeout", "fetch_error", "page_limit", "run_limit", "bad_url"}

// Image is one photo of a listing: the listing page's provenance (URL,
// capture hash, observed time), the listing and vendor it shows, and what
// became of the photo.
type Image struct {
	Schema  string `json:"schema"`
	EventID string `json:"event_id"`
	Provenance
	ListingID string `json:"listing_id"`
	Vendor    string `json:"vendor,omitempty"`
	// ImageURL is the photo's absolute URL as the page gave it; Position
	// its place among the listing's photos, from 1.
	ImageURL string `json:"image_url"`
	Position int    `json:"position"`
	// Outcome is ImageOK or ImageRefused; Reason says why a photo was
	// refused (ImageReasons), Error in words.
	Outcome   string    `json:"outcome"`
	Reason    string    `json:"reason,omitempty"`
	Error     string    `json:"error,omitempty"`
	FetchedAt time.Time `json:"fetched_at"`
	Status    int       `json:"status,omitempty"`
	// ContentType is what the server said; Bytes how many were read.
	ContentType string `json:"content_type,omitempty"`
	Bytes       int64  `json:"bytes"`
	// SHA256 (64 hex) and the 64-bit perceptual hashes (16 hex each) of
	// an ok photo; Format jpeg, png or gif; Width and Height in pixels.
	SHA256 string `json:"sha256,omitempty"`
	PHash  string `json:"phash,omitempty"`
	DHash  string `json:"dhash,omitempty"`
	AHash  string `json:"ahash,omitempty"`
	Format string `json:"format,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	// Kept says the bytes are in the evidence store (the site file opted
	// in); they are then found there by SHA256.
	Kept bool `json:"kept,omitempty"`
}

// Finalize fills the schema name and event id of an image.
func (im *Image) Finalize() {
	im.Schema = SchemaImage
	im.ObservedAt = im.ObservedAt.UTC()
	im.FetchedAt = im.FetchedAt.UTC()
	im.EventID = ID(TypeImage, im.Source, im.ListingID+"\x00"+im.ImageURL, im.ObservedAt, im.CaptureSHA256+"\x00"+im.SHA256+"\x00"+im.Reason)
}

// Validate reports what is missing or malformed in an image.
func (im *Image) Validate() error {
	errs := observationErrors(&im.Provenance, im.Schema, SchemaImage, im.EventID, "listing_id", im.ListingID)
	if im.ImageURL == "" || len(im.ImageURL) > MaxText || len(im.ListingID) > MaxText || len(im.Vendor) > MaxText ||
		len(im.Error) > MaxText || len(im.ContentType) > MaxText {
		errs = append(errs, "image_url empty or a text over its bound")
	}
	if im.Position < 1 {
		errs = append(errs, fmt.Sprintf("position %d, want 1 or more", im.Position))
	}
	switch im.Outcome {
	case ImageOK:
		if !isHex(im.SHA256, 64) || !isHex(im.PHash, 16) || !isHex(im.DHash, 16) || !isHex(im.AHash, 16) {
			errs = append(errs, "an ok image needs sha256 (64 hex) and phash, dhash, ahash (16 hex each)")
		}
		if im.Width <= 0 || im.Height <= 0 || !oneOf(im.Format, []string{"jpeg", "png", "gif"}) {
			errs = append(errs, "an ok image needs its width, height and format (jpeg, png, gif)")
		}
	case ImageRefused:
		if !oneOf(im.Reason, ImageReasons) {
			errs = append(errs, fmt.Sprintf("reason %q, want one of %v", Cut(im.Reason, 80), ImageReasons))
		}
		if im.SHA256 != "" || im.PHash != "" || im.Kept {
			errs = append(errs, "a refused image carries no hashes and is not kept")
		}
	default:
		errs = append(errs, fmt.Sprintf("outcome %q, want ok or refused", Cut(im.Outcome, 80)))
	}
	return joinErrs("image", errs)
}

// ImageEscalation records that a photo matched the blocklist: where it was
// seen (source, listing page and its capture, listing, vendor, the
// photo's URL), which blocklist entry matched and how (sha256, phash,
// dhash, ahash), and when. It holds nothing of the photo.
type ImageEscalation struct {
	Schema        string    `json:"schema"`
	EventID       string    `json:"event_id"`
	Source        string    `json:"source"`
	PageURL       string    `json:"page_url"`
	CaptureSHA256 string    `json:"capture_sha256"`
	ListingID     string    `json:"listing_id"`
	Vendor        string    `json:"vendor,omitempty"`
	ImageURL      string    `json:"image_url"`
	EntryID       string    `json:"entry_id"`
	MatchedBy     string    `json:"matched_by"`
	DetectedAt    time.Time `json:"detected_at"`
	RunID         string    `json:"run_id"`
}

// Finalize fills the schema name and event id of an escalation.
func (e *ImageEscalation) Finalize() {
	e.Schema = SchemaImageEscalation
	e.DetectedAt = e.DetectedAt.UTC()
	e.EventID = ID(TypeImageEscalation, e.Source, e.ListingID+"\x00"+e.ImageURL, e.DetectedAt, e.EntryID)
}

// Validate reports what is missing or malformed in an escalation.
func (e *ImageEscalation) Validate() error {
	var errs []string
	if e.Schema != SchemaImageEscalation {
		errs = append(errs, fmt.Sprintf("schema %q, want %q", e.Schema, SchemaImageEscalation))
	}
	if e.EventID == "" || e.Source == "" || e.PageURL == "" || e.ImageURL == "" || e.EntryID == "" || e.DetectedAt.IsZero() {
		errs = append(errs, "event_id, source, page_url, image_url, entry_id and detected_at are required")
	}
	if !oneOf(e.MatchedBy, []string{"sha256", "phash", "dhash", "ahash"}) {
		errs = append(errs, fmt.Sprintf("matched_by %q, want sha256, phash, dhash or ahash", Cut(e.MatchedBy, 80)))
	}
	if len(e.PageURL) > MaxText || len(e.ImageURL) > MaxText || len(e.EntryID) > 64 || len(e.ListingID) > MaxText || len(e.Vendor) > MaxText {
		errs = append(errs, "a text over its bound")
	}
	return joinErrs("image escalation", errs)
}

// ImageMessage is one decoded image-stream message: exactly one is set.
type ImageMessage struct {
	Image      *Image
	Escalation *ImageEscalation
}

// IsImageSchema reports whether a message's schema is an image schema
// (DecodeImage's, not Decode's).
func IsImageSchema(schema string) bool {
	return schema == SchemaImage || schema == SchemaImageEscalation
}

// DecodeImage parses, validates and checks one image or escalation
// message against the subject it arrived on (its type and source) and its
// derived event id, as Check does for the other events.
func DecodeImage(subject string, data []byte) (ImageMessage, error) {
	var out ImageMessage
	if len(data) > MaxMessage {
		return out, fmt.Errorf("%w: message of %d bytes over the %d byte limit", ErrInvalid, len(data), MaxMessage)
	}
	var h Header
	if err := json.Unmarshal(data, &h); err != nil {
		return out, fmt.Errorf("%w: decoding header: %v", ErrInvalid, err)
	}
	var typ, source, id, want string
	switch h.Schema {
	case SchemaImage:
		im := new(Image)
		if err := json.Unmarshal(data, im); err != nil {
			return out, fmt.Errorf("%w: decoding %s: %v", ErrInvalid, h.Schema, err)
		}
		if err := im.Validate(); err != nil {
			return out, err
		}
		c := *im
		c.Finalize()
		typ, source, id, want, out.Image = TypeImage, im.Source, im.EventID, c.EventID, im
	case SchemaImageEscalation:
		e := new(ImageEscalation)
		if err := json.Unmarshal(data, e); err != nil {
			return out, fmt.Errorf("%w: decoding %s: %v", ErrInvalid, h.Schema, err)
		}
		if err := e.Validate(); err != nil {
			return out, err
		}
		c := *e
		c.Finalize()
		typ, source, id, want, out.Escalation = TypeImageEscalation, e.Source, e.EventID, c.EventID, e
	default:
		return ImageMessage{}, fmt.Errorf("%w %q", ErrUnknownSchema, h.Schema)
	}
	var errs []string
	if subject != Subject(typ, source) {
		errs = append(errs, fmt.Sprintf("subject %q, the body says %q", Cut(subject, 200), Subject(typ, source)))
	}
	if id != want {
		errs = append(errs, fmt.Sprintf("event_id %q is not the one derived from the body", Cut(id, 80)))
	}
	if len(errs) > 0 {
		return ImageMessage{}, fmt.Errorf("%w: %s: %s", ErrInvalid, typ, strings.Join(errs, "; "))
	}
	return out, nil
}

func isHex(s string, n int) bool { return isHexOf(s, n, false) }
