// Package crawl runs one collection of one site: a bounded frontier from the
// site file's start pages through pagination and detail links, each page
// fetched through Tor, kept as evidence, classified, extracted by the site
// file when it is data, normalized into events and published.
//
// The frontier canonicalizes URLs (host lower case, fragment dropped, query
// parameters sorted) and keys them by path and query, so a page is fetched
// once per run whichever mirror links to it. Mirrors are tried in order: after
// FailureThreshold consecutive failures (network errors, 5xx, DDoS queues,
// captchas, rate limits) the crawl takes a fresh Tor identity and moves to
// the next mirror for the rest of the run, re-queueing the pages that failed.
// Pages that are not data are counted by class and backed off; a login wall
// on an authenticated source ends the run and names the source needing a new
// login. The run keeps its books (pages by class, records, events, errors,
// mirror, identities) in a Report and a run event.
package crawl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
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

// Sentinel errors, checked with errors.Is.
var (
	// ErrSessionExpired marks a run of an authenticated source ended by a
	// login wall: its cookies no longer open a session.
	ErrSessionExpired = errors.New("session expired: new login needed")
	// ErrRunDeadline marks a run cut by Deps.RunTimeout.
	ErrRunDeadline = errors.New("run deadline reached")
	// ErrStartPages marks a run none of whose start pages was data.
	ErrStartPages = errors.New("no start page was data")
	// ErrArchived marks a run refused because the site file is archived.
	ErrArchived = errors.New("site is archived")
)

// Defaults for zero Deps fields.
const (
	DefaultMaxPages = 1000
	DefaultMaxDepth = 100
	// DefaultHealthThreshold is the selector match share below which a
	// run warns.
	DefaultHealthThreshold  = 0.8
	DefaultFailureThreshold = 3
	DefaultBlockBackoff     = 5 * time.Second
	DefaultBlockBackoffMax  = 2 * time.Minute
	// maxErrors bounds the distinct errors a report keeps.
	maxErrors = 10
)

// Fetcher gets one page. It returns a page (possibly truncated or with an
// error status) or an error when nothing usable arrived; errors wrapping
// tor.ErrProxyDown end the run.
type Fetcher interface {
	Get(ctx context.Context, url string) (*fetch.Page, error)
}

// Evidence archives a fetched response of source and returns where, under
// which hash.
type Evidence interface {
	Put(source string, p *fetch.Page) (capture.Record, error)
}

// Publisher stores events on the bus; a nil error means every one was
// acknowledged.
type Publisher interface {
	Publish(ctx context.Context, msgs []bus.Message) error
}

// Deps are what a crawl uses, and its bounds.
type Deps struct {
	Fetch    Fetcher
	Evidence Evidence
	Publish  Publisher
	Rates    normalize.Rates
	Log      zerolog.Logger
	// MaxPages overrides the site file's limit when > 0.
	MaxPages int
	// MaxDepth bounds the links followed from a start page (0:
	// DefaultMaxDepth); following pagination does not count as a level.
	MaxDepth int
	// RunTimeout bounds the whole run (0: none); pages in flight at the
	// deadline are abandoned and the run ends partial.
	RunTimeout time.Duration
	// NewIdentity switches Fetch to fresh Tor credentials (new circuits);
	// nil never switches.
	NewIdentity func()
	// FailureThreshold is how many consecutive failures of the current
	// mirror make the run take a new identity and move to the next mirror
	// (0: DefaultFailureThreshold).
	FailureThreshold int
	// Authenticated says Fetch sends session cookies for this source: a
	// login wall then means the session expired and ends the run.
	Authenticated bool
	// BlockBackoff is the pause after a blocked page (queue, captcha, rate
	// limit) before the next request, doubled per consecutive block up to
	// BlockBackoffMax (0: the defaults).
	BlockBackoff    time.Duration
	BlockBackoffMax time.Duration
	// Markets are names searched for in forum posts (the names and titles
	// of the configured sites).
	Markets []string
	// OnFetch, when set, is told of every fetch: its page class and how
	// long it took (for metrics).
	OnFetch func(class string, took time.Duration)
	// HealthThreshold is the share of pages a field's selector must match
	// before the run result carries a warning (0: DefaultHealthThreshold).
	HealthThreshold float64
	// Images, when set, fetches and hashes the photos of the listings the
	// run publishes (see images.go); nil fetches none.
	Images *ImageCollector
}

func (d Deps) withDefaults(site *pipeline.Site) Deps {
	if d.MaxPages <= 0 {
		d.MaxPages = site.Limits.MaxPages
	}
	if d.MaxPages <= 0 {
		d.MaxPages = DefaultMaxPages
	}
	if d.MaxDepth <= 0 {
		d.MaxDepth = DefaultMaxDepth
	}
	if d.HealthThreshold <= 0 {
		d.HealthThreshold = DefaultHealthThreshold
	}
	if d.FailureThreshold <= 0 {
		d.FailureThreshold = DefaultFailureThreshold
	}
	if d.BlockBackoff <= 0 {
		d.BlockBackoff = DefaultBlockBackoff
	}
	if d.BlockBackoffMax <= 0 {
		d.BlockBackoffMax = DefaultBlockBackoffMax
	}
	d.BlockBackoffMax = max(d.BlockBackoffMax, d.BlockBackoff)
	return d
}

// Report is the outcome of one run.
type Report struct {
	RunID    string
	Source   string
	Pipeline string
	Started  time.Time
	Finished time.Time
	Outcome  string // ok, partial, failed
	Pages    int    // responses received and kept as evidence
	PagesOK  int    // pages extracted
	Posts    int    // forum post records
	Threads  int    // forum thread records
	// Warnings name fields whose selectors matched on too few pages
	// (selector health below Deps.HealthThreshold).
	Warnings []string
	// Health is the selector health of the run, per page kind and field.
	Health    pipeline.HealthReport
	Failed    int // pages that could not be fetched or kept
	Blocked   int // DDoS queues, captchas, login walls, rate limits
	Truncated int // pages cut at the size limit (kept, not parsed)
	// Classes counts pages by class (fetch.Class*): ok, too_large, queue,
	// captcha, login, ratelimit, not_found, refused, error.
	Classes  map[string]int
	Listings int
	Vendors  int
	Records  int
	Events   int // events published and acknowledged
	// Misses counts, per record type and field, pages where the selector
	// matched nothing.
	Misses map[string]int
	// NotStored lists event ids JetStream did not acknowledge after retries.
	NotStored []string
	// EvidenceFailed counts responses the evidence store could not keep.
	EvidenceFailed int
	// HealthPages are the pages kept with capture outcome ok, HealthHits
	// those of them that yielded records: SelectorHealth's inputs.
	HealthPages, HealthHits int
	// StartFailures names the start pages that were not data (URL, class,
	// status); when no start page was, the run failed (ErrStartPages).
	StartFailures []string
	// Duplicates counts records of a key already published that added
	// nothing; Conflicts those that showed another value for a field the
	// published record has (its value stands; a warning says so).
	Duplicates, Conflicts int
	// Remerged counts records published again in this run because a later
	// page of the same record added fields (richest first, pipeline.Merge).
	Remerged int
	// Mirror is the mirror host in use when the run ended; MirrorSwitches
	// how often the run moved on; Identities how often it took fresh Tor
	// credentials; Requeued how many pages were retried on a new mirror.
	Mirror         string
	MirrorSwitches int
	Identities     int
	Requeued       int
	// DepthCapped counts links dropped at MaxDepth; Left the pages still in
	// the frontier when the run stopped.
	DepthCapped int
	Left        int
	// FrontierFull counts links not queued because the frontier already
	// held MaxPages pages (a link found on several pages counts each time).
	FrontierFull int
	// NeedsLogin names a source that showed a login wall: its session
	// expired (Deps.Authenticated) or it needs one.
	NeedsLogin bool
	// Errors holds the first distinct page errors.
	Errors []string
	Err    error
}

// Summary is a one-line account of the run.
func (r *Report) Summary() string {
	s := fmt.Sprintf("%s: %s, %d pages (%d ok, %d failed, %d blocked, %d truncated), %d listings, %d vendors, %d events in %s",
		r.Source, r.Outcome, r.Pages, r.PagesOK, r.Failed, r.Blocked, r.Truncated, r.Listings, r.Vendors, r.Events,
		r.Finished.Sub(r.Started).Round(time.Millisecond))
	if r.MirrorSwitches > 0 {
		s += fmt.Sprintf(", moved to mirror %s", r.Mirror)
	}
	if r.NeedsLogin {
		s += fmt.Sprintf("; %s NEEDS A NEW LOGIN (import fresh cookies)", r.Source)
	}
	return s
}

// ClassList returns the page classes with their counts, sorted by class.
func (r *Report) ClassList() []string {
	keys := make([]string, 0, len(r.Classes))
	for k := range r.Classes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%s=%d", k, r.Classes[k])
	}
	return out
}

// task is one page to fetch: its canonical path and query (the same on
// every mirror), its kind and its depth.
type task struct {
	key    string
	page   string
	depth  int
	mirror int // mirror index it was dispatched on
	tries  int // mirrors it was tried on
}

type pageResult struct {
	task      task
	url       string
	links     []pipeline.Link
	next      []pipeline.Link // pagination: same depth
	listings  int
	posts     int
	threads   int
	vendors   int
	records   int
	events    int
	misses    []string
	class     string // fetch.Class*, or ClassError when nothing arrived
	status    int    // HTTP status; 0 when nothing arrived
	captureOK bool   // kept with capture outcome ok: counts for selector health
	// evidenceFailed: a response arrived but the evidence store refused it.
	evidenceFailed bool
	kept           bool // a response was kept as evidence
	netFail        bool // nothing arrived (network, proxy, timeout)
	notStored      []string
	err            error
}

// mirrorBase is one mirror: scheme and host.
type mirrorBase struct {
	scheme, host string
}

// runState is what the pages of one run share: records waiting for their
// merge partner and the selector health.
type runState struct {
	health *pipeline.Health

	mu      sync.Mutex
	partial map[string]pending // grid tiles waiting for their detail page
	full    map[string]pending // what was last published for a key, from a full record
	// duplicates counts records of a key already published that showed
	// nothing new; conflicts those that showed another value for a field
	// the published record has (the richer record's value stands).
	duplicates, conflicts int
	// remerged counts records published again because a later record of
	// the same key added to what was published (a richer profile page
	// after a thin vendor record, a tile after its detail page).
	remerged int
}

type pending struct {
	rec  pipeline.Record
	prov event.Provenance
	// mergedFrom is the page of a grid tile merged into rec: part of the
	// record's evidence, named in its flags.
	mergedFrom string
}

func newRunState(source string) *runState {
	return &runState{health: pipeline.NewHealth(source), partial: map[string]pending{}, full: map[string]pending{}}
}

// merge takes one extracted record and returns what is ready to publish.
// A partial record (a grid tile) waits for the full record of the same
// natural key; the full one absorbs it (pipeline.Merge: the full record wins
// on conflicts, the tile adds what it alone shows, such as a price) and is
// published with its own page as provenance, flagged with the tile's page.
// A record of a key already published (a tile after its detail page, the
// vendor's profile page after a thin vendor record on a listing page) is
// merged field by field, richest first, into what was published: when it
// adds a field or wins a conflict, the merged record is published again
// (the winner's page as provenance, the other's named in its flags);
// otherwise it adds nothing and is dropped.
func (rs *runState) merge(r pipeline.Record, prov event.Provenance) []pending {
	keyField := pipeline.NaturalKey(r.Type)
	key := r.Get(keyField)
	if keyField == "" || key == "" {
		return []pending{{rec: r, prov: prov}}
	}
	k := r.Type + "\x00" + key
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if done, ok := rs.full[k]; ok {
		// A tile (partial) shows less by design and loses its conflicts
		// as documented; two full records that disagree are said.
		if !r.Partial && conflicting(done.rec, r) {
			rs.conflicts++
		}
		if !pipeline.Adds(done.rec, r) {
			rs.duplicates++
			return nil
		}
		out := pending{rec: pipeline.MergeTwo(done.rec, r), prov: done.prov, mergedFrom: prov.URL}
		if out.rec.URL == r.URL && r.URL != done.rec.URL {
			out.prov, out.mergedFrom = prov, done.prov.URL
		}
		rs.full[k] = out
		rs.remerged++
		return []pending{out}
	}
	if r.Partial {
		if p, ok := rs.partial[k]; ok {
			r = pipeline.Merge([]pipeline.Record{p.rec, r})[0]
			prov = p.prov
		}
		rs.partial[k] = pending{rec: r, prov: prov}
		return nil
	}
	out := pending{rec: r, prov: prov}
	if p, ok := rs.partial[k]; ok {
		delete(rs.partial, k)
		out.rec = pipeline.Merge([]pipeline.Record{r, p.rec})[0]
		out.mergedFrom = p.prov.URL
	}
	rs.full[k] = out
	return []pending{out}
}

// conflicting reports whether r shows another value for a field that the
// published record p has.
func conflicting(p, r pipeline.Record) bool {
	for name, f := range r.Fields {
		if pf, ok := p.Fields[name]; ok && pf.Raw != f.Raw {
			return true
		}
	}
	return false
}

// leftovers returns the partial records no full record claimed.
func (rs *runState) leftovers() []pending {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]pending, 0, len(rs.partial))
	for _, p := range rs.partial {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].prov.URL+out[i].rec.Type < out[j].prov.URL+out[j].rec.Type })
	rs.partial = map[string]pending{}
	return out
}

// Run collects site once. It returns a report in every case; the error is
// non-nil when the run could not proceed (proxy down, bus unreachable,
// session expired, run deadline) or some events were not stored.
func Run(ctx context.Context, site *pipeline.Site, d Deps) (*Report, error) {
	d = d.withDefaults(site)
	rep := &Report{
		RunID:    newRunID(site.Name),
		Source:   site.Name,
		Pipeline: site.ID(),
		Started:  time.Now().UTC(),
		Misses:   map[string]int{},
		Classes:  map[string]int{},
	}
	log := d.Log.With().Str("run", rep.RunID).Str("source", site.Name).Logger()
	rs := newRunState(site.Name)
	var mirrors []mirrorBase
	for _, m := range site.Mirrors {
		u, err := url.Parse(m)
		if err != nil || u.Host == "" {
			return finish(ctx, rep, d, fmt.Errorf("parsing mirror %q: not an absolute URL", m))
		}
		mirrors = append(mirrors, mirrorBase{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Host)})
	}
	if len(mirrors) == 0 {
		return finish(ctx, rep, d, errors.New("site has no mirrors"))
	}
	if site.Archived {
		return finish(ctx, rep, d, fmt.Errorf("%w: %s (%s) is marked archived: its site file documents saved pages and is never collected", ErrArchived, site.Name, site.File))
	}
	cur := 0
	rep.Mirror = mirrors[0].host

	var queue []task
	seen := map[string]bool{}
	push := func(t task, front bool) {
		if front {
			queue = append([]task{t}, queue...)
			return
		}
		if seen[t.key] {
			return
		}
		// The run fetches at most MaxPages pages: a longer frontier could
		// never be worked through, and a page of links must not grow it
		// (or seen) without bound.
		if len(queue) >= d.MaxPages {
			rep.FrontierFull++
			return
		}
		seen[t.key] = true
		queue = append(queue, t)
	}
	starts, err := site.StartLinks(site.Mirrors[0])
	if err != nil {
		return finish(ctx, rep, d, err)
	}
	for _, s := range starts {
		if key, ok := canonicalKey(s.URL, mirrors); ok {
			push(task{key: key, page: s.Page}, false)
		}
	}

	rctx, cancel := context.WithCancel(ctx)
	if d.RunTimeout > 0 {
		rctx, cancel = context.WithTimeout(ctx, d.RunTimeout)
	}
	defer cancel()
	conc := max(site.Politeness.Concurrency, 1)
	// A page holds a fetch slot (of conc) while it is fetched and a place
	// in flight until it is kept, extracted and published: the next fetch
	// starts as soon as a response is in, not after its evidence is
	// synced and its events acknowledged. At most 2*conc pages are in
	// flight, so the responses waiting to be kept stay bounded.
	results := make(chan pageResult)
	fetched := make(chan struct{})
	var (
		inflight, fetching, started int
		startsOK                    int // start pages that were data
		fatal                       error
		consec, blocks              int
		failedHere                  []task // failed on the current mirror since its last success
		pauseUntil                  time.Time
	)
	stopped := func() bool { return fatal != nil || started >= d.MaxPages }
	for {
		if inflight == 0 && len(queue) == 0 && !stopped() && len(failedHere) > 0 && cur+1 < len(mirrors) {
			// Nothing left but what failed here: try the next mirror.
			consec = d.FailureThreshold
		}
		if consec >= d.FailureThreshold && fatal == nil {
			if d.NewIdentity != nil {
				d.NewIdentity()
				rep.Identities++
			}
			if cur+1 < len(mirrors) {
				cur++
				rep.MirrorSwitches++
				rep.Mirror = mirrors[cur].host
				log.Warn().Int("failures", consec).Str("mirror", mirrors[cur].host).Msg("mirror failing, moving to the next one")
				for _, t := range failedHere {
					if t.tries+1 < len(mirrors) {
						t.tries++
						rep.Requeued++
						push(t, true)
					}
				}
			} else {
				log.Warn().Int("failures", consec).Msg("source failing, new identity")
			}
			consec, failedHere = 0, nil
		}
		for fetching < conc && inflight < 2*conc && len(queue) > 0 && !stopped() && !time.Now().Before(pauseUntil) {
			t := queue[0]
			queue = queue[1:]
			t.mirror = cur
			inflight++
			fetching++
			started++
			m := mirrors[cur]
			go func() {
				results <- collectPage(rctx, site, d, rs, rep.RunID, t, m.scheme+"://"+m.host+t.key, log, fetched)
			}()
		}
		if inflight == 0 {
			if len(queue) == 0 || stopped() {
				break
			}
			// Backing off after blocked pages, nothing in flight.
			if err := sleep(rctx, time.Until(pauseUntil)); err != nil {
				fatal = runError(ctx, err)
			}
			continue
		}
		var r pageResult
		select {
		case <-fetched:
			fetching--
			continue
		case r = <-results:
		}
		inflight--
		rep.Listings += r.listings
		rep.Posts += r.posts
		rep.Threads += r.threads
		if r.evidenceFailed {
			rep.EvidenceFailed++
		}
		if r.captureOK {
			rep.HealthPages++
			if r.records > 0 {
				rep.HealthHits++
			}
		}
		rep.Vendors += r.vendors
		rep.Records += r.records
		rep.Events += r.events
		rep.NotStored = append(rep.NotStored, r.notStored...)
		for _, m := range r.misses {
			rep.Misses[m]++
		}
		rep.Classes[r.class]++
		if r.kept {
			rep.Pages++
		} else {
			rep.Failed++
		}
		if r.task.depth == 0 {
			if r.class == fetch.ClassOK || r.class == fetch.ClassTooLarge {
				startsOK++
			} else {
				rep.StartFailures = append(rep.StartFailures, fmt.Sprintf("%s (%s, HTTP %d)", r.url, r.class, r.status))
			}
		}
		switch r.class {
		case fetch.ClassOK:
			rep.PagesOK++
		case fetch.ClassTooLarge:
			rep.Truncated++
		case fetch.ClassQueue, fetch.ClassCaptcha, fetch.ClassLogin, fetch.ClassRateLimit:
			rep.Blocked++
		}
		if r.err != nil {
			rep.noteError(r.err)
			if fatal == nil && (isFatal(r.err) || rctx.Err() != nil) {
				fatal = runError(ctx, r.err)
				if rctx.Err() != nil {
					fatal = runError(ctx, rctx.Err())
				}
				cancel()
				continue
			}
			log.Warn().Err(r.err).Str("url", r.url).Str("class", r.class).Msg("page not collected")
		}

		// Blocked pages are backed off, whichever mirror served them.
		switch r.class {
		case fetch.ClassQueue, fetch.ClassCaptcha, fetch.ClassRateLimit:
			blocks++
			pauseUntil = time.Now().Add(backoff(d.BlockBackoff, d.BlockBackoffMax, blocks))
		case fetch.ClassOK, fetch.ClassTooLarge, fetch.ClassNotFound:
			blocks = 0
		case fetch.ClassLogin:
			rep.NeedsLogin = true
			if d.Authenticated && fatal == nil {
				fatal = fmt.Errorf("%s: %w (login wall at %s)", site.Name, ErrSessionExpired, r.url)
				log.Error().Str("url", r.url).Msg("login wall: session cookies expired, source needs a new login")
				continue
			}
		}

		// Mirror health: only what the current mirror did counts.
		failure := r.netFail || (r.class == fetch.ClassError && r.kept) ||
			r.class == fetch.ClassQueue || r.class == fetch.ClassCaptcha || r.class == fetch.ClassRateLimit
		if r.task.mirror == cur {
			if failure {
				consec++
				failedHere = append(failedHere, r.task)
			} else {
				consec, failedHere = 0, nil
			}
		}
		if consec < d.FailureThreshold && failure && r.task.mirror < cur && r.task.tries+1 < len(mirrors) {
			// Failed on a mirror already left behind: try it on this one.
			r.task.tries++
			rep.Requeued++
			push(r.task, true)
		}

		for i, l := range append(r.next, r.links...) {
			key, ok := canonicalKey(l.URL, mirrors)
			if !ok {
				continue
			}
			depth := r.task.depth + 1
			if i < len(r.next) {
				depth = r.task.depth // the next page of a list is no deeper
			}
			if depth > d.MaxDepth {
				if !seen[key] {
					rep.DepthCapped++
				}
				continue
			}
			push(task{key: key, page: l.Page, depth: depth}, false)
		}
	}
	// Partial records (grid tiles) whose full record never came are
	// published as they are, merged among themselves — also when the run
	// ended early (proxy down, deadline): they were seen, and the bus does
	// not need the proxy.
	if left := rs.leftovers(); len(left) > 0 {
		var res pageResult
		var evs []any
		for _, m := range left {
			evs = append(evs, res.normalize(m, d, ""))
		}
		res.publish(context.WithoutCancel(ctx), d, evs)
		if res.err != nil {
			rep.noteError(res.err)
			log.Warn().Err(res.err).Int("records", len(left)).Msg("grid records without a detail page not all published")
		}
		rep.Listings += res.listings
		rep.Vendors += res.vendors
		rep.Events += res.events
		rep.NotStored = append(rep.NotStored, res.notStored...)
	}
	rep.Health = rs.health.Report(d.HealthThreshold)
	if rep.PagesOK > 0 {
		rep.Warnings = rep.Health.Warnings
	}
	rep.Remerged, rep.Duplicates, rep.Conflicts = rs.remerged, rs.duplicates, rs.conflicts
	if rs.conflicts > 0 {
		// Said, not silent: the values that lost are on their pages, kept
		// as evidence.
		rep.Warnings = append(rep.Warnings, fmt.Sprintf(
			"%d records showed other values than the full record already published for their key (a thin vendor record, another mirror); the richer record's values stand, the other pages are kept as evidence", rs.conflicts))
	}
	rep.Left = len(queue)
	if fatal == nil && (len(queue) > 0 || rep.FrontierFull > 0) {
		log.Warn().Int("left", len(queue)).Int("not_queued", rep.FrontierFull).Int("max_pages", d.MaxPages).
			Msg("page limit reached; frontier not exhausted")
	}
	if fatal == nil && len(rep.NotStored) > 0 {
		fatal = fmt.Errorf("%d events not stored on the bus after retries (first %s): %w",
			len(rep.NotStored), rep.NotStored[0], bus.ErrNotStored)
	}
	if fatal == nil && startsOK == 0 && len(rep.StartFailures) > 0 {
		// No start page was data (a 404, a login wall, a queue): the run
		// collected nothing it was meant to, whatever else it fetched.
		fatal = fmt.Errorf("%w: %s", ErrStartPages, strings.Join(rep.StartFailures, "; "))
		log.Error().Strs("start_pages", rep.StartFailures).Msg("no start page was data; the run failed")
	}
	return finish(ctx, rep, d, fatal)
}

// noteError keeps err among the report's first distinct errors.
func (r *Report) noteError(err error) {
	msg := event.Cut(err.Error(), 512)
	if len(r.Errors) < maxErrors && !slices.Contains(r.Errors, msg) {
		r.Errors = append(r.Errors, msg)
	}
}

// runError names why a run stopped when its context ended.
func runError(parent context.Context, err error) error {
	if parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrRunDeadline, err)
	}
	return err
}

func backoff(base, maxWait time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	return min(d, maxWait)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// canonicalKey returns the frontier key of raw (path and sorted query) when
// it is on one of the site's mirrors.
func canonicalKey(raw string, mirrors []mirrorBase) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	host := strings.ToLower(u.Host)
	on := false
	for _, m := range mirrors {
		if host == m.host || strings.TrimSuffix(host, ":80") == m.host {
			on = true
			break
		}
	}
	if !on {
		return "", false
	}
	return Canonical(u), true
}

// Canonical returns the frontier key of a URL: its path ("/" when empty)
// and its query with parameters sorted by name, without the fragment.
func Canonical(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery == "" {
		return p
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return p + "?" + u.RawQuery
	}
	if enc := q.Encode(); enc != "" {
		return p + "?" + enc
	}
	return p
}

// isFatal says whether an error ends the whole run rather than one page.
func isFatal(err error) bool {
	return errors.Is(err, tor.ErrProxyDown) || errors.Is(err, bus.ErrNotStored) ||
		errors.Is(err, context.Canceled)
}

// collectPage fetches, keeps, classifies, extracts, normalizes and
// publishes one page. It sends on fetched once the fetch is over (the
// fetch slot is free), before it returns.
func collectPage(ctx context.Context, site *pipeline.Site, d Deps, rs *runState, runID string, t task, pageURL string, log zerolog.Logger, fetched chan<- struct{}) pageResult {
	res := pageResult{task: t, url: pageURL, class: fetch.ClassError}
	start := time.Now()
	page, err := d.Fetch.Get(ctx, pageURL)
	fetched <- struct{}{}
	// What was fetched is published (or spooled by the publisher) even when
	// another page ends the run meanwhile: the publisher's own timeout
	// bounds it, and the run reports exactly what the bus did not store.
	pctx := context.WithoutCancel(ctx)
	if d.OnFetch != nil {
		class := fetch.ClassError
		if page != nil && page.Status != 0 {
			class = page.Class()
		}
		d.OnFetch(class, time.Since(start))
	}
	capEv := event.Capture{Source: site.Name, URL: pageURL, FetchedAt: start.UTC(), PageKind: t.page, RunID: runID,
		Mirror: hostOf(pageURL), Class: fetch.ClassError}
	if err != nil {
		res.err = err // fetch's errors already start "fetching <url>"
		if page == nil || page.Status == 0 {
			// Nothing arrived: record the failed attempt as a capture without evidence.
			res.netFail = true
			if isFatal(err) || ctx.Err() != nil {
				return res
			}
			capEv.Outcome, capEv.Error = "error", event.Cut(err.Error(), 512)
			capEv.DurationMS = time.Since(start).Milliseconds()
			if page != nil {
				capEv.Attempts = page.Attempts
			}
			res.publish(pctx, d, []any{&capEv})
			return res
		}
	}
	res.class, res.status = page.Class(), page.Status
	capEv.FetchedAt, capEv.Status, capEv.Outcome = page.FetchedAt, page.Status, page.Outcome
	capEv.Bytes, capEv.Type = int64(len(page.Body)), page.Header.Get("Content-Type")
	capEv.DurationMS, capEv.Attempts = page.Duration.Milliseconds(), page.Attempts
	capEv.Class, capEv.Charset, capEv.CharsetFlag = res.class, page.Charset, page.CharsetFlag
	capEv.Mirror = hostOf(page.FinalURL)
	if err != nil {
		capEv.Error = event.Cut(err.Error(), 512)
	}
	rec, perr := d.Evidence.Put(site.Name, page)
	if perr != nil {
		// A page we cannot keep as evidence is not used as data.
		res.class, res.evidenceFailed = fetch.ClassError, true
		res.err = fmt.Errorf("keeping evidence of %s: %w", pageURL, perr)
		capEv.Outcome, capEv.Class, capEv.Error = "error", fetch.ClassError, event.Cut(res.err.Error(), 512)
		res.publish(pctx, d, []any{&capEv})
		return res
	}
	res.kept = true
	capEv.SHA256 = rec.SHA256
	events := []any{&capEv}
	if res.class == fetch.ClassOK {
		events = res.extract(site, d, rs, runID, page, rec.SHA256, events)
		capEv.Records = res.records
		if res.err != nil {
			// The page is kept but could not be read as data: its capture
			// says why, so zero records is not taken for a selector miss.
			capEv.Error = event.Cut(res.err.Error(), 512)
		}
	}
	res.captureOK = capEv.Outcome == "ok"
	res.publish(pctx, d, events)
	d.collectImages(ctx, site, runID, events, &res)
	log.Debug().Str("url", pageURL).Str("class", res.class).Int("records", capEv.Records).Msg("page collected")
	return res
}

// extract runs the site file over an ok page and appends its events.
func (res *pageResult) extract(site *pipeline.Site, d Deps, rs *runState, runID string, page *fetch.Page, sha string, events []any) []any {
	text, err := page.Text()
	if err != nil {
		res.err = err
		return events
	}
	out, err := site.Extract(res.task.page, page.FinalURL, text)
	if err != nil {
		res.err = fmt.Errorf("extracting %s: %w", page.FinalURL, err)
		return events
	}
	rs.health.Add(res.task.page, out)
	prov := event.Provenance{
		Source: site.Name, Mirror: hostOf(page.FinalURL), URL: page.FinalURL,
		ObservedAt: page.FetchedAt, CaptureSHA256: sha, Pipeline: site.ID(), RunID: runID,
	}
	for _, r := range out.Records {
		for _, m := range rs.merge(r, prov) {
			events = append(events, res.normalize(m, d, page.CharsetFlag))
		}
	}
	res.records = len(out.Records)
	for _, m := range out.Misses {
		res.misses = append(res.misses, m.Record+"."+m.Field)
	}
	res.next = append(res.next, out.Next...)
	res.links = append(res.links, out.Links...)
	return events
}

// normalize turns one (merged) record into its event and counts it:
// listings, vendors, posts and threads each have their event; a record of
// another type yields nil.
func (res *pageResult) normalize(m pending, d Deps, charsetFlag string) any {
	ev, flags, ok := normalize.Record(m.rec, m.prov, d.Rates, d.Markets)
	if !ok {
		return nil
	}
	switch m.rec.Type {
	case pipeline.RecordListing:
		res.listings++
	case pipeline.RecordVendor:
		res.vendors++
	case pipeline.RecordPost:
		res.posts++
	case pipeline.RecordThread:
		res.threads++
	}
	if charsetFlag != "" {
		*flags = append(*flags, "charset:"+charsetFlag)
	}
	if m.mergedFrom != "" {
		*flags = append(*flags, "merged_from:"+m.mergedFrom)
	}
	return ev
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
	case *event.Post:
		e.Finalize()
		return bus.Encode(event.Subject(event.TypePost, e.Source), e.EventID, e)
	case *event.Thread:
		e.Finalize()
		return bus.Encode(event.Subject(event.TypeThread, e.Source), e.EventID, e)
	}
	return bus.Message{}, fmt.Errorf("encoding %T: not an event", ev)
}

// finish closes the books, publishes the run event and returns.
func finish(ctx context.Context, rep *Report, d Deps, err error) (*Report, error) {
	rep.Finished = time.Now().UTC()
	rep.Err = err
	switch {
	case err != nil && (rep.PagesOK == 0 || errors.Is(err, ErrStartPages)):
		rep.Outcome = "failed"
	case err != nil || rep.Failed > 0 || rep.Blocked > 0 || rep.PagesOK < rep.Pages:
		rep.Outcome = "partial"
	default:
		rep.Outcome = "ok"
	}
	run := event.Run{
		RunID: rep.RunID, Source: rep.Source, Pipeline: rep.Pipeline, StartedAt: rep.Started,
		FinishedAt: rep.Finished, Outcome: rep.Outcome, Pages: rep.Pages, Failed: rep.Failed,
		Listings: rep.Listings, Vendors: rep.Vendors,
		PagesOK: rep.PagesOK, Blocked: rep.Blocked, Truncated: rep.Truncated, Classes: rep.Classes,
		Records: rep.Records, DurationMS: rep.Finished.Sub(rep.Started).Milliseconds(), Errors: rep.Errors,
		Mirror: rep.Mirror, MirrorSwitches: rep.MirrorSwitches, Identities: rep.Identities, NeedsLogin: rep.NeedsLogin,
		Posts: rep.Posts, Warnings: rep.Warnings,
	}
	if err != nil {
		run.Error = event.Cut(err.Error(), 1024)
	}
	run.Events = rep.Events + 1
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

// SelectorHealth is the share of the run's pages kept with capture outcome
// ok that yielded records; ok is false when there were none. It is the one
// definition of selector health: the metric counternet_selector_health_ratio
// takes it, and `counternet status` computes the same share from the
// captures table (warehouse.SourceStatuses).
func (r *Report) SelectorHealth() (ratio float64, ok bool) {
	if r.HealthPages == 0 {
		return 0, false
	}
	return float64(r.HealthHits) / float64(r.HealthPages), true
}

// MissList returns the selector misses sorted by count, for reports.
func (r *Report) MissList() []string {
	keys := make([]string, 0, len(r.Misses))
	for k := range r.Misses {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if r.Misses[keys[i]] != r.Misses[keys[j]] {
			return r.Misses[keys[i]] > r.Misses[keys[j]]
		}
		return keys[i] < keys[j]
	})
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
