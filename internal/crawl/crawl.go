// Package crawl runs one collection of one site: a bounded frontier from the
// site file's start pages through pagination and detail links, each page
// fetched through Tor, kept as evidence, extracted by the site file,
// normalized into events and published. It keeps the run's books: pages by
// outcome, records, selector misses and events not stored.
package crawl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/fetch"
	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/tor"
)

// Fetcher gets one page. It returns a page (possibly truncated or with an
// error status) or an error when nothing usable arrived; errors wrapping
// tor.ErrProxyDown end the run.
type Fetcher interface {
	Get(ctx context.Context, url string) (*fetch.Page, error)
}

// Evidence keeps a fetched page and returns where and under which hash.
type Evidence interface {
	Put(p *fetch.Page) (capture.Record, error)
}

// Publisher stores events on the bus; a nil error means every one was
// acknowledged.
type Publisher interface {
	Publish(ctx context.Context, msgs []bus.Message) error
}

// Deps are what a crawl uses.
type Deps struct {
	Fetch    Fetcher
	Evidence Evidence
	Publish  Publisher
	Rates    normalize.Rates
	Log      zerolog.Logger
	// MaxPages overrides the site file's limit when > 0.
	MaxPages int
}

// Report is the outcome of one run.
type Report struct {
	RunID     string
	Source    string
	Pipeline  string
	Started   time.Time
	Finished  time.Time
	Outcome   string // ok, partial, failed
	Pages     int    // pages fetched and kept
	Failed    int    // pages that could not be fetched or kept
	Blocked   int    // captcha, DDoS queue, login walls
	Truncated int    // pages cut at the size limit (kept, not parsed)
	Listings  int
	Vendors   int
	Events    int // events published and acknowledged
	// Misses counts, per record type and field, pages where the selector
	// matched nothing.
	Misses map[string]int
	// NotStored lists event ids JetStream did not acknowledge after retries.
	NotStored []string
	Err       error
}

// Summary is a one-line account of the run.
func (r *Report) Summary() string {
	return fmt.Sprintf("%s: %s, %d pages (%d failed, %d blocked, %d truncated), %d listings, %d vendors, %d events in %s",
		r.Source, r.Outcome, r.Pages, r.Failed, r.Blocked, r.Truncated, r.Listings, r.Vendors, r.Events,
		r.Finished.Sub(r.Started).Round(time.Millisecond))
}

type task struct {
	url  string
	page string
}

type pageResult struct {
	task      task
	links     []task
	listings  int
	vendors   int
	events    int
	misses    []string
	outcome   string
	notStored []string
	err       error
}

// Run collects site once. It returns a report in every case; the error is
// non-nil when the run could not proceed (proxy down, bus unreachable) or
// some events were not stored.
func Run(ctx context.Context, site *pipeline.Site, d Deps) (*Report, error) {
	rep := &Report{
		RunID:    newRunID(site.Name),
		Source:   site.Name,
		Pipeline: site.ID(),
		Started:  time.Now().UTC(),
		Misses:   map[string]int{},
	}
	log := d.Log.With().Str("run", rep.RunID).Str("source", site.Name).Logger()
	maxPages := site.Limits.MaxPages
	if d.MaxPages > 0 {
		maxPages = d.MaxPages
	}
	if maxPages <= 0 {
		maxPages = 1000
	}
	conc := max(site.Politeness.Concurrency, 1)

	var queue []task
	seen := map[string]bool{}
	push := func(t task) {
		if !seen[t.url] {
			seen[t.url] = true
			queue = append(queue, t)
		}
	}
	starts, err := site.StartLinks(site.Mirrors[0])
	if err != nil {
		return finish(ctx, rep, d, err)
	}
	for _, s := range starts {
		push(task{url: s.URL, page: s.Page})
	}

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan pageResult)
	inflight, started := 0, 0
	var fatal error
	for (len(queue) > 0 && fatal == nil && started < maxPages) || inflight > 0 {
		for inflight < conc && len(queue) > 0 && fatal == nil && started < maxPages {
			t := queue[0]
			queue = queue[1:]
			inflight++
			started++
			go func() { results <- collectPage(rctx, site, d, rep.RunID, t, log) }()
		}
		r := <-results
		inflight--
		rep.Listings += r.listings
		rep.Vendors += r.vendors
		rep.Events += r.events
		rep.NotStored = append(rep.NotStored, r.notStored...)
		for _, m := range r.misses {
			rep.Misses[m]++
		}
		switch r.outcome {
		case fetch.OutcomeOK:
			rep.Pages++
		case fetch.OutcomeTruncated:
			rep.Pages++
			rep.Truncated++
		case fetch.OutcomeBlocked:
			rep.Pages++
			rep.Blocked++
		default:
			rep.Failed++
		}
		if r.err != nil {
			log.Warn().Err(r.err).Str("url", r.task.url).Msg("page failed")
			if isFatal(r.err) && fatal == nil {
				fatal = r.err
				cancel()
			}
		}
		for _, l := range r.links {
			push(l)
		}
	}
	if fatal == nil && len(queue) > 0 {
		log.Warn().Int("left", len(queue)).Int("max_pages", maxPages).Msg("page limit reached; frontier not exhausted")
	}
	if fatal == nil && len(rep.NotStored) > 0 {
		fatal = fmt.Errorf("%d events not stored on the bus after retries (first %s): %w",
			len(rep.NotStored), rep.NotStored[0], bus.ErrNotStored)
	}
	return finish(ctx, rep, d, fatal)
}

// isFatal says whether an error ends the whole run rather than one page.
func isFatal(err error) bool {
	return errors.Is(err, tor.ErrProxyDown) || errors.Is(err, bus.ErrNotStored) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// collectPage fetches, keeps, extracts, normalizes and publishes one page.
func collectPage(ctx context.Context, site *pipeline.Site, d Deps, runID string, t task, log zerolog.Logger) pageResult {
	res := pageResult{task: t, outcome: "error"}
	start := time.Now()
	page, err := d.Fetch.Get(ctx, t.url)
	capEv := event.Capture{Source: site.Name, URL: t.url, FetchedAt: start.UTC(), PageKind: t.page, RunID: runID}
	if err != nil {
		res.err = fmt.Errorf("fetching %s: %w", t.url, err)
		if page == nil || page.Status == 0 {
			// Nothing arrived: record the failed attempt as a capture without evidence.
			if isFatal(err) {
				return res
			}
			capEv.Outcome, capEv.Error = "error", truncate(err.Error(), 512)
			capEv.DurationMS = time.Since(start).Milliseconds()
			res.publish(ctx, d, []any{&capEv})
			return res
		}
	}
	res.outcome = page.Outcome
	capEv.FetchedAt, capEv.Status, capEv.Outcome = page.FetchedAt, page.Status, page.Outcome
	capEv.Bytes, capEv.Type = int64(len(page.Body)), page.Header.Get("Content-Type")
	capEv.DurationMS = page.Duration.Milliseconds()
	if err != nil {
		capEv.Error = truncate(err.Error(), 512)
	}
	rec, perr := d.Evidence.Put(page)
	if perr != nil {
		// A page we cannot keep as evidence is not used as data.
		res.outcome = "error"
		res.err = fmt.Errorf("keeping evidence of %s: %w", t.url, perr)
		capEv.Outcome, capEv.Error = "error", truncate(res.err.Error(), 512)
		res.publish(ctx, d, []any{&capEv})
		return res
	}
	capEv.SHA256 = rec.SHA256
	events := []any{&capEv}
	if page.Outcome == fetch.OutcomeOK {
		out, xerr := site.Extract(t.page, page.FinalURL, page.Body)
		if xerr != nil {
			res.err = fmt.Errorf("extracting %s: %w", t.url, xerr)
		} else {
			prov := event.Provenance{
				Source: site.Name, Mirror: hostOf(page.FinalURL), URL: page.FinalURL,
				ObservedAt: page.FetchedAt, CaptureSHA256: rec.SHA256, Pipeline: site.ID(), RunID: runID,
			}
			for _, r := range out.Records {
				switch r.Type {
				case "listing":
					l := normalize.Listing(r, prov, d.Rates)
					events = append(events, &l)
					res.listings++
				case "vendor":
					v := normalize.Vendor(r, prov)
					events = append(events, &v)
					res.vendors++
				}
			}
			for _, m := range out.Misses {
				res.misses = append(res.misses, m.Record+"."+m.Field)
			}
			for _, l := range append(out.Next, out.Links...) {
				res.links = append(res.links, task{url: l.URL, page: l.Page})
			}
			capEv.Records = len(out.Records)
		}
	}
	res.publish(ctx, d, events)
	log.Debug().Str("url", t.url).Str("outcome", res.outcome).Int("records", capEv.Records).Msg("page collected")
	return res
}

// publish encodes and publishes a page's events, counting what was stored.
func (res *pageResult) publish(ctx context.Context, d Deps, evs []any) {
	msgs := make([]bus.Message, 0, len(evs))
	for _, ev := range evs {
		m, err := message(ev)
		if err != nil {
			res.err = errors.Join(res.err, err)
			continue
		}
		msgs = append(msgs, m)
	}
	err := d.Publish.Publish(ctx, msgs)
	var nse *bus.NotStoredError
	switch {
	case err == nil:
		res.events += len(msgs)
	case errors.As(err, &nse):
		for _, f := range nse.Failures {
			res.notStored = append(res.notStored, f.ID)
		}
		res.events += len(msgs) - len(nse.Failures)
		res.err = errors.Join(res.err, err)
	default:
		for _, m := range msgs {
			res.notStored = append(res.notStored, m.ID)
		}
		res.err = errors.Join(res.err, fmt.Errorf("publishing: %w", err))
	}
}

// message finalizes an event (schema, id) and encodes it for its subject.
func message(ev any) (bus.Message, error) {
	switch e := ev.(type) {
	case *event.Listing:
		e.Finalize()
		return bus.Encode(event.Subject(event.TypeListing, e.Source), e.EventID, e)
	case *event.Vendor:
		e.Finalize()
		return bus.Encode(event.Subject(event.TypeVendor, e.Source), e.EventID, e)
	case *event.Capture:
		e.Finalize()
		return bus.Encode(event.Subject(event.TypeCapture, e.Source), e.EventID, e)
	case *event.Run:
		e.Finalize()
		return bus.Encode(event.Subject(event.TypeRun, e.Source), e.EventID, e)
	}
	return bus.Message{}, fmt.Errorf("encoding %T: not an event", ev)
}

// finish closes the books, publishes the run event and returns.
func finish(ctx context.Context, rep *Report, d Deps, err error) (*Report, error) {
	rep.Finished = time.Now().UTC()
	rep.Err = err
	switch {
	case err != nil && rep.Pages == 0:
		rep.Outcome = "failed"
	case err != nil || rep.Failed > 0 || rep.Blocked > 0:
		rep.Outcome = "partial"
	default:
		rep.Outcome = "ok"
	}
	run := event.Run{
		RunID: rep.RunID, Source: rep.Source, Pipeline: rep.Pipeline, StartedAt: rep.Started,
		FinishedAt: rep.Finished, Outcome: rep.Outcome, Pages: rep.Pages, Failed: rep.Failed,
		Listings: rep.Listings, Vendors: rep.Vendors,
	}
	if err != nil {
		run.Error = truncate(err.Error(), 1024)
	}
	// A failed run is a fact too: its run event is published whatever happened.
	if m, merr := message(&run); merr == nil {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		if perr := d.Publish.Publish(pctx, []bus.Message{m}); perr != nil {
			d.Log.Warn().Err(perr).Str("run", rep.RunID).Msg("publishing run event")
		} else {
			rep.Events++
		}
		cancel()
	}
	if err != nil {
		return rep, fmt.Errorf("collecting %s: %w", rep.Source, err)
	}
	return rep, nil
}

// MissList returns the selector misses sorted by count, for reports.
func (r *Report) MissList() []string {
	keys := make([]string, 0, len(r.Misses))
	for k := range r.Misses {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return r.Misses[keys[i]] > r.Misses[keys[j]] })
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%s×%d", k, r.Misses[k])
	}
	return out
}

func newRunID(source string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return source + "-" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

func hostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
