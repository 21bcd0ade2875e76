package load

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/warehouse"
)

// Compactor merges into one part what the engine's merges leave of the
// maintained tables in several (warehouse.DB.Compact).
type Compactor interface {
	Compact(ctx context.Context, now time.Time) ([]warehouse.Compacted, error)
}

// compactTimeout bounds one round of merges.
const compactTimeout = time.Hour

// Compact merges, once, the partitions of the maintained tables the
// engine left in several parts (the past months of the routes tables, the
// vendor identifiers) and logs each one merged. It returns how many it
// merged.
func Compact(ctx context.Context, c Compactor, log zerolog.Logger) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, compactTimeout)
	defer cancel()
	done, err := c.Compact(ctx, time.Now())
	for _, m := range done {
		log.Info().Str("table", m.Table).Str("partition", m.Partition).Int("parts", m.Parts).Uint64("rows", m.Rows).
			Dur("took", m.Took.Round(time.Millisecond)).Msg("merged a partition of a maintained table into one part")
	}
	return len(done), err
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
			log.Warn().Err(err).Dur("next_in", every).Msg("merging the maintained tables failed; the views stay correct, reading more")
		}
	}
}
