package links

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Capped says what ReadAccounts left out to bound each account's signals:
// the accounts with more distinct descriptions, photos or forum posts than
// it reads, and how many of those it did not read. Nothing else is left
// out.
type Capped struct {
	TextAccounts, TextsLeft   int // vendors with more than MaxTextsPerAccount distinct descriptions
	PhotoAccounts, PhotosLeft int // vendors showing more than MaxPhotos distinct photos
	PostAccounts, PostsLeft   int // forum authors with more than MaxPostsPerAccount distinct posts
}

// Lines says what was left out, one line per kind; none when nothing was.
func (c Capped) Lines() []string {
	var out []string
	if c.TextAccounts > 0 {
		out = append(out, fmt.Sprintf("%s more than %d distinct listing descriptions: %d descriptions were not read",
			howMany(c.TextAccounts, "vendor has", "vendors have"), MaxTextsPerAccount, c.TextsLeft))
	}
	if c.PhotoAccounts > 0 {
		out = append(out, fmt.Sprintf("%s more than %d distinct photos: %d photos were not compared (those on the most listings were)",
			howMany(c.PhotoAccounts, "vendor shows", "vendors show"), MaxPhotos, c.PhotosLeft))
	}
	if c.PostAccounts > 0 {
		out = append(out, fmt.Sprintf("%s more than %d distinct posts: %d older posts were not read",
			howMany(c.PostAccounts, "forum author has", "forum authors have"), MaxPostsPerAccount, c.PostsLeft))
	}
	return out
}

// ReadCapped counts what ReadAccounts leaves out, with the same
// definitions of a distinct description (its first maxTextChars bytes),
// photo (its SHA-256, outcome ok) and post (its first maxPostChars
// characters).
func ReadCapped(ctx context.Context, conn driver.Conn) (Capped, error) {
	var c Capped
	for _, q := range []struct {
		what          string
		query         string
		limit         int
		accounts, out *int
	}{
		{"descriptions", fmt.Sprintf("SELECT source, vendor, uniqExact(substring(description, 1, %d)) AS n FROM listing_obs "+
			"WHERE vendor != '' GROUP BY source, vendor HAVING n > %d", maxTextChars, MaxTextsPerAccount),
			MaxTextsPerAccount, &c.TextAccounts, &c.TextsLeft},
		{"photos", fmt.Sprintf("SELECT source, vendor, uniqExact(sha256) AS n FROM listing_images "+
			"WHERE outcome = 'ok' AND vendor != '' AND sha256 != '' GROUP BY source, vendor HAVING n > %d", MaxPhotos),
			MaxPhotos, &c.PhotoAccounts, &c.PhotosLeft},
		{"forum posts", fmt.Sprintf("SELECT source, author, uniqExact(substringUTF8(body, 1, %d)) AS n FROM post_obs "+
			"WHERE author != '' AND body != '' GROUP BY source, author HAVING n > %d", maxPostChars, MaxPostsPerAccount),
			MaxPostsPerAccount, &c.PostAccounts, &c.PostsLeft},
	} {
		var accounts, total uint64
		if err := conn.QueryRow(ctx, "SELECT count(), sum(n) FROM ("+q.query+")").Scan(&accounts, &total); err != nil {
			return Capped{}, fmt.Errorf("counting the %s left unread: %w", q.what, err)
		}
		*q.accounts, *q.out = int(accounts), int(total)-int(accounts)*q.limit
	}
	return c, nil
}

// howMany is n with the singular or plural words that follow it.
func howMany(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
