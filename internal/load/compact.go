package load

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/warehouse"
)

// Compactor merges the past months of the routes tables into one part each
// (warehouse.DB.CompactRoutes).
type Compactor interface {
	CompactRoutes(ctx context.Context, now time.Time) ([]warehouse.CompactedMonth, error)
}

// compactTimeout bounds one round of merges.
const compactTimeout = time.Hour

// Compact merges the past months of the routes tables left in several
// parts, once, and logs each month merged. It returns how many it merged.
func Compact(ctx context.Context, c Compactor, log zerolog.Logger) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, compactTimeout)
	defer cancel()
	months, err := c.CompactRoutes(ctx, time.Now())
	for _, m := range months {
		log.Info().Str("table", m.Table).Str("month", m.Partition).Int("parts", m.Parts).Uint64("rows", m.Rows).
			Dur("took", m.Took.Round(time.Millisecond)).Msg("merged a past month of a routes table into one part")
	}
	return len(months), err
}

// CompactEvery runs Compact every interval until ctx ends. A round that
// fails is logged and the next one tries again.
func CompactEvery(ctx context.Context, c Compactor, every time.Duration, log zerolog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := Compact(ctx, c, log); err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Dur("next_in", every).Msg("merging the past months of the routes tables failed; the routes view stays correct, counting those months by id")
		}
	}
}
