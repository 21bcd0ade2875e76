package crawl

import (
	"context"
	"errors"
	"fmt"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
)

// publish encodes and publishes a page's events, counting what was stored.
// The events of a page travel as envelopes (see pack): one message per
// page, or per part of a large page, instead of one per event. The report
// still counts events and names, for what was not stored, the ids of the
// events inside.
func (res *pageResult) publish(ctx context.Context, d Deps, evs []any) {
	msgs, ids, err := pack(evs)
	if err != nil {
		res.err = errors.Join(res.err, err)
	}
	if len(msgs) == 0 {
		return
	}
	total := 0
	for _, in := range ids {
		total += len(in)
	}
	err = d.Publish.Publish(ctx, msgs)
	var nse *bus.NotStoredError
	switch {
	case err == nil:
		res.events += total
	case errors.As(err, &nse):
		failed := make(map[string]bool, len(nse.Failures))
		for _, f := range nse.Failures {
			failed[f.ID] = true
		}
		lost := 0
		for i, m := range msgs {
			if failed[m.ID] {
				res.notStored = append(res.notStored, ids[i]...)
				lost += len(ids[i])
			}
		}
		res.events += total - lost
		res.err = errors.Join(res.err, err)
	default:
		for _, in := range ids {
			res.notStored = append(res.notStored, in...)
		}
		res.err = errors.Join(res.err, fmt.Errorf("publishing: %w", err))
	}
}

// pack finalizes and encodes evs (nil entries skipped) and returns the
// messages to publish, with the ids of the events each carries. A lone
// event goes as itself, on its own subject; several go as envelopes, one
// per source (a page has one), split into parts when they exceed
// event.EnvelopeTarget. An event that cannot be encoded is left out and
// named in the error; the others are still returned (events that cannot be
// packed go one by one).
func pack(evs []any) ([]bus.Message, [][]string, error) {
	var (
		errs   []error
		single []bus.Message
		groups []*packGroup
	)
	for _, ev := range evs {
		if ev == nil {
			continue
		}
		m, err := message(ev)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		single = append(single, m)
		source, sha, pipe := pageOf(ev)
		var g *packGroup
		for _, h := range groups {
			if h.source == source {
				g = h
			}
		}
		if g == nil {
			g = &packGroup{source: source, sha: sha, pipeline: pipe}
			groups = append(groups, g)
		}
		g.note(sha, pipe)
		g.evs = append(g.evs, event.Encoded{ID: m.ID, Data: m.Data})
		g.msgs = append(g.msgs, m)
	}
	if len(single) == 1 {
		return single, [][]string{{single[0].ID}}, errors.Join(errs...)
	}
	var (
		msgs []bus.Message
		ids  [][]string
	)
	for _, g := range groups {
		envs, err := event.Pack(g.source, g.sha, g.pipeline, g.evs)
		if err != nil {
			// Not lost for want of an envelope: sent one by one, the
			// loader holds each to its own subject.
			errs = append(errs, err)
			for _, m := range g.msgs {
				msgs = append(msgs, m)
				ids = append(ids, []string{m.ID})
			}
			continue
		}
		for _, e := range envs {
			msgs = append(msgs, bus.Message{Subject: e.Subject, ID: e.Header.EnvelopeID, Data: e.Data})
			ids = append(ids, e.EventIDs)
		}
	}
	return msgs, ids, errors.Join(errs...)
}

// packGroup gathers the encoded events of one source.
type packGroup struct {
	source, sha, pipeline string
	mixedSHA, mixedPipe   bool
	evs                   []event.Encoded
	msgs                  []bus.Message // the same events, each as its own message
}

// note keeps the page's capture hash and pipeline while the events agree
// on them (unset values agree with any), and clears them when they do not
// (the leftovers of several pages).
func (g *packGroup) note(sha, pipe string) {
	switch {
	case g.mixedSHA || sha == "":
	case g.sha == "":
		g.sha = sha
	case g.sha != sha:
		g.sha, g.mixedSHA = "", true
	}
	switch {
	case g.mixedPipe || pipe == "":
	case g.pipeline == "":
		g.pipeline = pipe
	case g.pipeline != pipe:
		g.pipeline, g.mixedPipe = "", true
	}
}

// pageOf names the source, capture hash and pipeline of an event.
func pageOf(ev any) (source, sha, pipeline string) {
	switch e := ev.(type) {
	case *event.Listing:
		return e.Source, e.CaptureSHA256, e.Pipeline
	case *event.Vendor:
		return e.Source, e.CaptureSHA256, e.Pipeline
	case *event.Post:
		return e.Source, e.CaptureSHA256, e.Pipeline
	case *event.Thread:
		return e.Source, e.CaptureSHA256, e.Pipeline
	case *event.Capture:
		return e.Source, e.SHA256, ""
	case *event.Run:
		return e.Source, "", e.Pipeline
	}
	return "", "", ""
}
