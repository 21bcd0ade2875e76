package event

import (
	"fmt"
	"time"
)

// Thread is one observation of a forum thread as a board's thread list or
// the thread's own page shows it.
type Thread struct {
	Schema  string `json:"schema"`
	EventID string `json:"event_id"`
	Provenance
	// Forum is the forum id; the same as Source.
	Forum    string `json:"forum"`
	ThreadID string `json:"thread_id"`
	Title    string `json:"title,omitempty"`
	// Board is the board path ("Market > Drugs > Opioids").
	Board  string `json:"board,omitempty"`
	Author string `json:"author,omitempty"`
	// StartedAt is when the thread was started, UTC; StartedRaw the text.
	StartedAt  time.Time `json:"started_at,omitzero"`
	StartedRaw string    `json:"started_raw,omitempty"`
	// Replies, Views and Pages are the counts shown; nil when not shown.
	Replies *int64 `json:"replies,omitempty"`
	Views   *int64 `json:"views,omitempty"`
	Pages   *int64 `json:"pages,omitempty"`
	// LastPostAt is when the last post was made, UTC; LastPostRaw the text.
	LastPostAt  time.Time `json:"last_post_at,omitzero"`
	LastPostRaw string    `json:"last_post_raw,omitempty"`
	LastPoster  string    `json:"last_poster,omitempty"`
	// Sticky and Locked are nil when the page does not say.
	Sticky     *bool    `json:"sticky,omitempty"`
	Locked     *bool    `json:"locked,omitempty"`
	Attributes []Attr   `json:"attributes,omitempty"`
	Flags      []string `json:"flags,omitempty"`
}

// Finalize fills the schema name, the forum and the event id of a thread
// and makes its times UTC.
func (t *Thread) Finalize() {
	t.Schema = SchemaThread
	t.Forum = t.Source
	t.ObservedAt = t.ObservedAt.UTC()
	if !t.StartedAt.IsZero() {
		t.StartedAt = t.StartedAt.UTC()
	}
	if !t.LastPostAt.IsZero() {
		t.LastPostAt = t.LastPostAt.UTC()
	}
	t.EventID = ID(TypeThread, t.Source, t.ThreadID, t.ObservedAt, t.CaptureSHA256)
}

// Validate reports what is missing or malformed in a thread.
func (t *Thread) Validate() error {
	errs := observationErrors(&t.Provenance, t.Schema, SchemaThread, t.EventID, "thread_id", t.ThreadID)
	if t.Forum != t.Source {
		errs = append(errs, fmt.Sprintf("forum %q differs from source %q", t.Forum, t.Source))
	}
	if len(t.Title) > MaxTitle || len(t.Board) > MaxText || len(t.Author) > MaxText || len(t.ThreadID) > MaxText ||
		len(t.StartedRaw) > MaxText || len(t.LastPostRaw) > MaxText || len(t.LastPoster) > MaxText {
		errs = append(errs, "text over its bound")
	}
	errs = append(errs, countErrors("replies", t.Replies, "views", t.Views, "pages", t.Pages)...)
	errs = append(errs, attrErrors(t.Attributes)...)
	return joinErrs("thread", errs)
}
