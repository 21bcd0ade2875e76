package normalize

import (
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// Thread turns an extracted thread record (a row of a board's thread list,
// or a thread page's header) into a thread event, with the same rules as
// Listing: fields that do not normalize are left empty and flagged, text
// is bounded, the record is never dropped. The board is the subforum
// field; started_at and last_post are read against the capture time and
// the site's locale and kept raw beside; replies, views and pages are nil
// when not shown; sticky and locked are tri-state. Thread calls Finalize.
func Thread(rec pipeline.Record, prov event.Provenance) event.Thread {
	var fl flags
	fs := fields{rec: rec, flags: &fl}
	t := event.Thread{Provenance: prov}
	t.ThreadID = fs.text("thread_id", event.MaxText)
	if t.ThreadID == "" {
		fl.add("thread_id")
	}
	t.Title = fs.text("title", event.MaxTitle)
	t.Board = fs.text("subforum", event.MaxText)
	t.Author = fs.text("author", event.MaxText)
	t.StartedAt, t.StartedRaw = fs.date("started_at", "started_raw", prov.ObservedAt)
	t.Replies, t.Views, t.Pages = fs.count("replies"), fs.count("views"), fs.count("pages")
	t.LastPostAt, t.LastPostRaw = fs.date("last_post", "last_post_raw", prov.ObservedAt)
	t.LastPoster = fs.text("last_poster", event.MaxText)
	t.Sticky, t.Locked = fs.badge("sticky", stickyRE), fs.badge("locked", lockedRE)
	t.Attributes = attributes(fs, prov.ObservedAt)
	t.Flags = fl
	t.Finalize()
	return t
}
