package warehouse

import (
	"time"

	"github.com/counternet/counternet/internal/event"
)

// postColumns maps forum post events to the columns of post_obs.
func postColumns(ps []event.Post) []column {
	n := len(ps)
	var (
		eventID, source, mirror, url, forum     = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		threadID, threadTitle, postID, author   = mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		postedRaw, body                         = mk[string](n), mk[string](n)
		markets, vendors, onions, chains, addrs = mk[[]string](n), mk[[]string](n), mk[[]string](n), mk[[]string](n), mk[[]string](n)
		pgp, flags                              = mk[[]string](n), mk[[]string](n)
		postedAt, observedAt                    = mk[time.Time](n), mk[time.Time](n)
		captureSHA, pipeline, runID             = mk[string](n), mk[string](n), mk[string](n)
	)
	for i := range ps {
		p := &ps[i]
		eventID[i], source[i], mirror[i], url[i], forum[i] = p.EventID, p.Source, p.Mirror, p.URL, p.Forum
		threadID[i], threadTitle[i], postID[i], author[i] = p.ThreadID, p.ThreadTitle, p.PostID, p.Author
		postedAt[i], postedRaw[i], body[i] = clampTime(p.PostedAt), p.PostedRaw, p.Body
		markets[i], vendors[i], onions[i] = orEmpty(p.Mentions.Markets), orEmpty(p.Mentions.Vendors), orEmpty(p.Mentions.Onions)
		chains[i], addrs[i] = splitCrypto(p.Mentions.Crypto)
		chains[i], addrs[i] = orEmpty(chains[i]), orEmpty(addrs[i])
		pgp[i], flags[i] = orEmpty(p.Mentions.PGP), orEmpty(p.Flags)
		observedAt[i], captureSHA[i], pipeline[i], runID[i] = clampTime(p.ObservedAt), p.CaptureSHA256, p.Pipeline, p.RunID
	}
	return []column{
		{"event_id", eventID}, {"source", source}, {"mirror", mirror}, {"url", url}, {"forum", forum},
		{"thread_id", threadID}, {"thread_title", threadTitle}, {"post_id", postID}, {"author", author},
		{"posted_at", postedAt}, {"posted_raw", postedRaw}, {"body", body}, {"markets", markets},
		{"vendors", vendors}, {"onions", onions}, {"crypto_chains", chains}, {"crypto_addresses", addrs},
		{"pgp_fingerprints", pgp}, {"flags", flags}, {"observed_at", observedAt},
		{"capture_sha256", captureSHA}, {"pipeline", pipeline}, {"run_id", runID},
	}
}

// orEmpty is s, or an empty slice for nil.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
