package images

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/counternet/counternet/internal/event"
)

// Store writes image and escalation events to listing_images and
// image_escalations (migration 0130) over a ClickHouse connection
// (warehouse.DB.Conn()). It is the loader's image writer.
type Store struct {
	Conn driver.Conn
}

var imageCols = []string{"event_id", "source", "mirror", "url", "observed_at", "capture_sha256", "pipeline", "run_id",
	"listing_id", "vendor", "image_url", "position", "outcome", "reason", "error", "fetched_at", "status",
	"content_type", "bytes", "sha256", "phash", "dhash", "ahash", "format", "width", "height", "kept"}

var escalationCols = []string{"event_id", "source", "page_url", "capture_sha256", "listing_id", "vendor",
	"image_url", "entry_id", "matched_by", "detected_at", "run_id"}

// InsertImages writes imgs and escs, one INSERT per table. A failure names
// the table; a retry of the same events collapses by event_id.
func (s *Store) InsertImages(ctx context.Context, imgs []event.Image, escs []event.ImageEscalation) error {
	if len(imgs) > 0 {
		err := s.insert(ctx, "listing_images", imageCols, len(imgs), func(i int) ([]any, error) {
			im := &imgs[i]
			var h [3]uint64
			for j, v := range []string{im.PHash, im.DHash, im.AHash} {
				if v == "" {
					continue
				}
				x, err := ParseHex(v)
				if err != nil {
					return nil, fmt.Errorf("image %s: %w", im.EventID, err)
				}
				h[j] = x
			}
			return []any{im.EventID, im.Source, im.Mirror, im.URL, clamp(im.ObservedAt), im.CaptureSHA256, im.Pipeline,
				im.RunID, im.ListingID, im.Vendor, im.ImageURL, uint16(min(max(im.Position, 0), math.MaxUint16)),
				im.Outcome, im.Reason, im.Error, clamp(im.FetchedAt), uint16(min(max(im.Status, 0), math.MaxUint16)),
				im.ContentType, uint64(max(im.Bytes, 0)), im.SHA256, h[0], h[1], h[2], im.Format,
				uint32(min(max(im.Width, 0), math.MaxUint32)), uint32(min(max(im.Height, 0), math.MaxUint32)), b2u(im.Kept)}, nil
		})
		if err != nil {
			return err
		}
	}
	if len(escs) > 0 {
		return s.insert(ctx, "image_escalations", escalationCols, len(escs), func(i int) ([]any, error) {
			e := &escs[i]
			return []any{e.EventID, e.Source, e.PageURL, e.CaptureSHA256, e.ListingID, e.Vendor, e.ImageURL,
				e.EntryID, e.MatchedBy, clamp(e.DetectedAt), e.RunID}, nil
		})
	}
	return nil
}

func (s *Store) insert(ctx context.Context, table string, cols []string, n int, row func(int) ([]any, error)) error {
	// ClickHouse 18.16 needs the column list: without it the batch has no columns.
	b, err := s.Conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+")")
	if err != nil {
		return fmt.Errorf("inserting %s batch of %d: preparing: %w", table, n, err)
	}
	defer b.Close()
	for i := range n {
		vals, err := row(i)
		if err != nil {
			return fmt.Errorf("inserting %s batch of %d: %w", table, n, err)
		}
		if err := b.Append(vals...); err != nil {
			return fmt.Errorf("inserting %s batch of %d: row %d: %w", table, n, i, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("inserting %s batch of %d: %w", table, n, err)
	}
	return nil
}

// clamp keeps t within ClickHouse DateTime's range (1970 to 2106).
func clamp(t time.Time) time.Time {
	lo, hi := time.Unix(0, 0).UTC(), time.Unix(math.MaxUint32, 0).UTC()
	switch {
	case t.Before(lo):
		return lo
	case t.After(hi):
		return hi
	}
	return t.UTC()
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
