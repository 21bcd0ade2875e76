package links_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/counternet/counternet/internal/links"
	"github.com/counternet/counternet/internal/testenv"
)

// TestReadCappedCountsWhatIsNotRead: a vendor with 45 distinct
// descriptions (each twice), one showing 70 distinct photos and a forum
// author with 55 distinct posts are counted with what ReadAccounts leaves
// of each (5, 6 and 5); a vendor at the limits is not.
func TestReadCappedCountsWhatIsNotRead(t *testing.T) {
	if testing.Short() {
		t.Skip("needs clickhouse-server")
	}
	db := testenv.ClickHouse(t)
	ctx := context.Background()
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO listing_obs (event_id, source, listing_id, vendor, description, observed_at)
			SELECT hex(cityHash64(number)), 'm1', toString(number), if(number < 90, 'wordy', 'exact'),
				concat('description ', toString(number %% 45)), toDateTime(1700000000 + number)
			FROM numbers(90 + %d)`, links.MaxTextsPerAccount),
		fmt.Sprintf(`INSERT INTO listing_images (event_id, source, listing_id, vendor, outcome, sha256, observed_at)
			SELECT hex(cityHash64(number, 'i')), 'm1', toString(number), if(number < 70, 'snapper', 'exact'), 'ok',
				hex(SHA256(toString(number))), toDateTime(1700000000 + number)
			FROM numbers(70 + %d)`, links.MaxPhotos),
		fmt.Sprintf(`INSERT INTO post_obs (event_id, source, author, body, observed_at)
			SELECT hex(cityHash64(number, 'p')), 'f1', if(number < 55, 'talker', 'exact'), concat('post ', toString(number)),
				toDateTime(1700000000 + number)
			FROM numbers(55 + %d)`, links.MaxPostsPerAccount),
	} {
		if err := db.Conn().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	got, err := links.ReadCapped(ctx, db.Conn())
	if err != nil {
		t.Fatal(err)
	}
	want := links.Capped{TextAccounts: 1, TextsLeft: 5, PhotoAccounts: 1, PhotosLeft: 6, PostAccounts: 1, PostsLeft: 5}
	if got != want {
		t.Fatalf("ReadCapped = %+v, want %+v", got, want)
	}
	if lines := got.Lines(); len(lines) != 3 || lines[1] != "1 vendor shows more than 64 distinct photos: 6 photos were not compared (those on the most listings were)" {
		t.Errorf("Lines() = %q", lines)
	}
	if lines := (links.Capped{}).Lines(); len(lines) != 0 {
		t.Errorf("nothing left out, yet Lines() = %q", lines)
	}
}
