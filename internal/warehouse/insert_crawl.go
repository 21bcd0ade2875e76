package warehouse

import (
	"sort"

	"github.com/counternet/counternet/internal/event"
)

// captureCrawlColumns are the capture columns migration 0020 added: the
// mirror that served the page, its class, charset and attempts. They go
// after captureColumns' in a captures insert.
func captureCrawlColumns(cs []event.Capture) []column {
	n := len(cs)
	mirror, class, charset, charsetFlag := mk[string](n), mk[string](n), mk[string](n), mk[string](n)
	attempts := mk[uint16](n)
	for i := range cs {
		c := &cs[i]
		mirror[i], class[i], charset[i], charsetFlag[i] = c.Mirror, c.Class, c.Charset, c.CharsetFlag
		attempts[i] = clampUInt16(c.Attempts)
	}
	return []column{
		{"mirror", mirror}, {"class", class}, {"charset", charset}, {"charset_flag", charsetFlag},
		{"attempts", attempts},
	}
}

// runCrawlColumns are the run columns migration 0020 added: the run's books
// by page class, records, events, duration, errors, mirror, identities and
// whether the source needs a new login. They go after runColumns' in a runs
// insert.
func runCrawlColumns(rs []event.Run) []column {
	n := len(rs)
	var (
		pagesOK, blocked, truncated, records, events = mk[uint32](n), mk[uint32](n), mk[uint32](n), mk[uint32](n), mk[uint32](n)
		classNames, errs                             = mk[[]string](n), mk[[]string](n)
		classCounts                                  = mk[[]uint32](n)
		durationMS                                   = mk[int64](n)
		mirror                                       = mk[string](n)
		switches, identities                         = mk[uint16](n), mk[uint16](n)
		needsLogin                                   = mk[uint8](n)
		posts                                        = mk[uint32](n)
		warnings                                     = mk[[]string](n)
	)
	for i := range rs {
		r := &rs[i]
		pagesOK[i], blocked[i], truncated[i] = clampUInt32(r.PagesOK), clampUInt32(r.Blocked), clampUInt32(r.Truncated)
		records[i], events[i], durationMS[i] = clampUInt32(r.Records), clampUInt32(r.Events), r.DurationMS
		names := make([]string, 0, len(r.Classes))
		for k := range r.Classes {
			names = append(names, k)
		}
		sort.Strings(names)
		counts := make([]uint32, len(names))
		for j, k := range names {
			counts[j] = clampUInt32(r.Classes[k])
		}
		classNames[i], classCounts[i] = names, counts
		errs[i] = append([]string{}, r.Errors...)
		mirror[i] = r.Mirror
		switches[i], identities[i] = clampUInt16(r.MirrorSwitches), clampUInt16(r.Identities)
		needsLogin[i] = boolUInt8(r.NeedsLogin)
		posts[i], warnings[i] = clampUInt32(r.Posts), append([]string{}, r.Warnings...)
	}
	return []column{
		{"pages_ok", pagesOK}, {"pages_blocked", blocked}, {"pages_truncated", truncated},
		{"class_names", classNames}, {"class_counts", classCounts}, {"records", records}, {"events", events},
		{"duration_ms", durationMS}, {"errors", errs}, {"mirror", mirror}, {"mirror_switches", switches},
		{"identities", identities}, {"needs_login", needsLogin}, {"posts", posts}, {"warnings", warnings},
	}
}
