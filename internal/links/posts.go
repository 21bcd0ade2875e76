package links

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/counternet/counternet/internal/fixture"
)

// Forum posts: a forum author is an account whose source is the forum;
// the bodies of its posts feed its stylometric profile and nothing else.
// Posts quote other people's contacts, addresses and keys ("he asked me to
// pay direct to 1Abc..."), so identifiers, contacts and claims are not
// read from them: a reviewer quoting a vendor's Wickr would otherwise be
// linked to that vendor as strongly as by a shared key.

// MaxPostsPerAccount bounds the posts of one forum author read (the latest
// first), and maxPostChars the characters of each; the account's text is
// bounded by MaxTextBytes in all.
const (
	MaxPostsPerAccount = 50
	maxPostChars       = 2000
)

// AddPost adds the body of one post to a forum author's texts, cut to
// maxPostChars; it reports whether it was kept whole.
func (a *Account) AddPost(body string) bool {
	whole := true
	if len(body) > maxPostChars {
		body, whole = cutUTF8(body, maxPostChars), false
	}
	return a.AddText(body) && whole
}

// cutUTF8 cuts s to at most n bytes, never inside a character.
func cutUTF8(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// fixtureForumAccounts returns the authors of the forums of w with the
// bodies of their posts (the latest MaxPostsPerAccount distinct ones), and the identity
// behind each (fixture.Forum.Accounts).
func fixtureForumAccounts(w *fixture.World) ([]Account, []int) {
	var accounts []Account
	var identity []int
	for _, f := range w.Forums {
		if f.Accounts == nil {
			continue
		}
		posts := map[string][]fixture.Post{}
		var order []string
		for _, t := range f.Threads {
			for _, p := range t.Posts {
				if _, ok := posts[p.Author]; !ok {
					order = append(order, p.Author)
				}
				posts[p.Author] = append(posts[p.Author], p)
			}
		}
		for _, author := range order {
			id, ok := w.IdentityOf(f.Name, author)
			if !ok {
				continue
			}
			ps := posts[author]
			// The latest first, as links build reads them.
			slices.SortStableFunc(ps, func(x, y fixture.Post) int { return y.PostedAt.Compare(x.PostedAt) })
			a := Account{Source: f.Name, Handle: author}
			var bodies []string // distinct, as links build reads them
			for _, p := range ps {
				if len(bodies) < MaxPostsPerAccount && !slices.Contains(bodies, p.Body) {
					bodies = append(bodies, p.Body)
					a.AddPost(p.Body)
				}
			}
			accounts = append(accounts, a)
			identity = append(identity, id)
		}
	}
	return accounts, identity
}

// readPosts reads the authors of forum posts (post_obs) with the bodies of
// their posts: per author at most MaxPostsPerAccount distinct bodies, the
// latest first, each cut to maxPostChars characters; the text's capture is the page
// of the latest post read.
func readPosts(ctx context.Context, conn driver.Conn, get func(string, string) *Account) error {
	rows, err := conn.Query(ctx, fmt.Sprintf("SELECT source, author, b, argMax(capture_sha256, observed_at), max(posted_at) AS at "+
		"FROM (SELECT source, author, substringUTF8(body, 1, %d) AS b, capture_sha256, observed_at, posted_at FROM post_obs "+
		"WHERE author != '' AND body != '') GROUP BY source, author, b "+
		"ORDER BY source, author, at DESC, b LIMIT %d BY source, author", maxPostChars, MaxPostsPerAccount))
	if err != nil {
		return fmt.Errorf("reading forum posts by author: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var source, author, body, capture string
		var at time.Time
		if err := rows.Scan(&source, &author, &body, &capture, &at); err != nil {
			return fmt.Errorf("reading forum posts by author: %w", err)
		}
		a := get(source, author)
		a.AddPost(body)
		if a.Captures["text"] == "" {
			a.Captures["text"] = capture
		}
		if a.Captures["handle"] == "" {
			a.Captures["handle"] = capture
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading forum posts by author: %w", err)
	}
	return nil
}
