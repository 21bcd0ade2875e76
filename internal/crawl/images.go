package crawl

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/fetch"
	"github.com/counternet/counternet/internal/images"
	"github.com/counternet/counternet/internal/pipeline"
)

// ImagesAttribute is the listing attribute a site file names its photos
// with: attributes.images, the photos' src URLs joined by new lines.
const ImagesAttribute = "images"

// ImageContentTypes are the media types an image fetcher reads.
var ImageContentTypes = []string{"image/jpeg", "image/png", "image/gif", "image/pjpeg"}

// ImageFetchOptions turns the page fetcher's options into the image
// fetcher's: the same politeness and hosts, bodies bounded by
// lim.MaxBytes, attempts by lim.Timeout, image content types only.
func ImageFetchOptions(page fetch.Options, lim images.Limits) fetch.Options {
	lim = lim.WithDefaults()
	o := page
	o.MaxBytes = lim.MaxBytes
	o.Timeout = lim.Timeout
	o.HeaderTimeout = 0
	o.ContentTypes = ImageContentTypes
	o.Retries = -1 // a photo is not worth a retry storm; its failure is recorded
	return o
}

// ImageCollector fetches the photos of the listings a crawl publishes,
// through its own Fetcher (an image client over the same Tor dialer, see
// ImageFetchOptions), under Limits. Each photo is checked against the
// Blocklist before anything of it is kept: a match yields only an
// escalation event (event.ImageEscalation); any other photo an image
// event with its hashes, or with the reason it was refused. Bytes go to
// Evidence only for sources Keep accepts (a site file's keep_images).
// One collector may serve many runs; it counts per run id (Stats).
type ImageCollector struct {
	Fetch     Fetcher
	Evidence  Evidence
	Blocklist *images.Blocklist
	Limits    images.Limits
	// Keep says whether a source's photo bytes are kept as evidence (nil:
	// never).
	Keep func(source string) bool
	Log  zerolog.Logger

	mu    sync.Mutex
	runs  map[string]*imageRun
	order []string
}

// ImageStats count what a run did with photos.
type ImageStats struct {
	OK, Refused, Blocklisted, Kept int
	// Reasons counts refused photos by reason.
	Reasons map[string]int
}

type imageRun struct {
	stats   ImageStats
	fetched int
	seen    map[string]bool // listing id + URL already handled in this run
}

// maxTrackedRuns bounds the runs a collector keeps books for.
const maxTrackedRuns = 256

// Stats returns what run runID did with photos so far.
func (c *ImageCollector) Stats(runID string) ImageStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.runs[runID]
	if !ok {
		return ImageStats{Reasons: map[string]int{}}
	}
	s := r.stats
	s.Reasons = make(map[string]int, len(r.stats.Reasons))
	for k, v := range r.stats.Reasons {
		s.Reasons[k] = v
	}
	return s
}

func (c *ImageCollector) run(runID string) *imageRun {
	if c.runs == nil {
		c.runs = map[string]*imageRun{}
	}
	r, ok := c.runs[runID]
	if !ok {
		r = &imageRun{seen: map[string]bool{}, stats: ImageStats{Reasons: map[string]int{}}}
		c.runs[runID] = r
		c.order = append(c.order, runID)
		if len(c.order) > maxTrackedRuns {
			delete(c.runs, c.order[0])
			c.order = c.order[1:]
		}
	}
	return r
}

// photoTask is one photo of one listing to handle.
type photoTask struct {
	listing *event.Listing
	url     string
	pos     int
}

// collectImages handles the photos of the listings among a page's events
// and publishes their image and escalation events (not in the page's
// envelope: they come after it). It does nothing without Deps.Images.
func (d Deps) collectImages(ctx context.Context, site *pipeline.Site, runID string, events []any, res *pageResult) {
	c := d.Images
	if c == nil {
		return
	}
	var tasks []photoTask
	for _, ev := range events {
		l, ok := ev.(*event.Listing)
		if !ok {
			continue
		}
		for i, u := range photoURLs(l) {
			tasks = append(tasks, photoTask{listing: l, url: u, pos: i + 1})
		}
	}
	if len(tasks) == 0 {
		return
	}
	lim := c.Limits.WithDefaults()
	pctx, cancel := context.WithTimeout(ctx, lim.PageTime)
	defer cancel()
	var out []any
	for i, t := range tasks {
		ev := c.photo(pctx, site.Name, runID, t, i, lim)
		if ev != nil {
			out = append(out, ev)
		}
		if ctx.Err() != nil {
			return // the run is ending: what was not handled is not recorded as refused
		}
	}
	res.publishImages(ctx, d, out)
}

// photoURLs reads a listing's photo URLs from its images attribute. When
// the attribute was cut at its bound, its last line may be a cut URL and
// is left out.
func photoURLs(l *event.Listing) []string {
	i := slices.IndexFunc(l.Attributes, func(a event.Attr) bool { return a.Key == ImagesAttribute })
	if i < 0 {
		return nil
	}
	lines := strings.Split(l.Attributes[i].Value, "\n")
	if slices.Contains(l.Flags, pipeline.AttributePrefix+ImagesAttribute+":truncated") && len(lines) > 0 {
		lines = lines[:len(lines)-1]
	}
	var out []string
	for _, s := range lines {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// photo handles one photo and returns its event: an *event.Image, an
// *event.ImageEscalation, or nil when it was handled earlier in the run.
func (c *ImageCollector) photo(ctx context.Context, source, runID string, t photoTask, index int, lim images.Limits) any {
	l := t.listing
	im := &event.Image{Provenance: l.Provenance, ListingID: l.ListingID, Vendor: l.Vendor, ImageURL: event.Cut(t.url, event.MaxText),
		Position: t.pos, Outcome: event.ImageRefused, FetchedAt: time.Now().UTC()}
	refuse := func(reason string, err error) any {
		im.Reason = reason
		if err != nil {
			im.Error = event.Cut(err.Error(), 512)
		}
		c.count(runID, func(s *ImageStats) { s.Refused++; s.Reasons[reason]++ })
		return im
	}
	c.mu.Lock()
	r := c.run(runID)
	key := l.ListingID + "\x00" + t.url
	if r.seen[key] {
		c.mu.Unlock()
		return nil
	}
	r.seen[key] = true
	overRun := r.fetched >= lim.PerRun
	if !overRun && index < lim.PerPage {
		r.fetched++
	}
	c.mu.Unlock()
	switch {
	case index >= lim.PerPage:
		return refuse(images.ReasonPageLimit, fmt.Errorf("photo %d of the page, at most %d are fetched", index+1, lim.PerPage))
	case overRun:
		return refuse(images.ReasonRunLimit, fmt.Errorf("at most %d photos are fetched in a run", lim.PerRun))
	}
	if err := checkPhotoURL(t.url, l.URL); err != nil {
		return refuse(images.ReasonURL, err)
	}
	if ctx.Err() != nil {
		return refuse(images.ReasonTimeout, fmt.Errorf("the page's photos took longer than %s", lim.PageTime))
	}
	page, err := c.Fetch.Get(ctx, t.url)
	if page != nil {
		im.FetchedAt = page.FetchedAt
		if im.FetchedAt.IsZero() {
			im.FetchedAt = time.Now().UTC()
		}
		im.Status, im.Bytes = page.Status, int64(len(page.Body))
		if page.Header != nil {
			im.ContentType = event.Cut(page.Header.Get("Content-Type"), 256)
		}
	}
	switch {
	case page == nil || page.Status == 0:
		if errors.Is(err, fetch.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			return refuse(images.ReasonTimeout, err)
		}
		return refuse(images.ReasonFetch, err)
	case page.Outcome == fetch.OutcomeRefused:
		return refuse(images.ReasonContentType, err)
	case page.Outcome == fetch.OutcomeHTTPError, page.Outcome == fetch.OutcomeBlocked:
		return refuse(images.ReasonHTTP, err)
	case err != nil:
		return refuse(images.ReasonFetch, err)
	}
	photo, match, err := images.Analyze(page.Body, page.Truncated, lim, c.Blocklist)
	if match != nil {
		// Nothing of the photo goes further: not its bytes, not its
		// hashes, not its size. Only where it was and which entry matched.
		page.Body = nil
		c.count(runID, func(s *ImageStats) { s.Blocklisted++ })
		c.Log.Warn().Str("source", source).Str("listing", l.ListingID).Str("page", l.URL).
			Str("entry", match.EntryID).Str("matched_by", match.By).Msg("photo matched the blocklist: not stored, escalation recorded")
		return &event.ImageEscalation{Source: source, PageURL: l.URL, CaptureSHA256: l.CaptureSHA256,
			ListingID: l.ListingID, Vendor: l.Vendor, ImageURL: im.ImageURL, EntryID: match.EntryID,
			MatchedBy: match.By, DetectedAt: time.Now().UTC(), RunID: runID}
	}
	if err != nil {
		return refuse(images.Reason(err), err)
	}
	im.Outcome = event.ImageOK
	im.SHA256, im.Format, im.Width, im.Height = photo.SHA256, photo.Format, photo.Width, photo.Height
	im.PHash, im.DHash, im.AHash = images.Hex(photo.PHash), images.Hex(photo.DHash), images.Hex(photo.AHash)
	if c.Keep != nil && c.Keep(source) && c.Evidence != nil {
		if _, err := c.Evidence.Put(source, page); err != nil {
			c.Log.Warn().Err(err).Str("source", source).Str("url", t.url).Msg("keeping photo bytes as evidence failed; its hashes are recorded")
		} else {
			im.Kept = true
		}
	}
	c.count(runID, func(s *ImageStats) {
		s.OK++
		if im.Kept {
			s.Kept++
		}
	})
	return im
}

func (c *ImageCollector) count(runID string, f func(*ImageStats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.run(runID).stats)
}

// checkPhotoURL accepts an http(s) URL on the page's host or on an onion
// host: a photo on a clearnet host is not fetched.
func checkPhotoURL(raw, pageURL string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("photo URL %q: %w", event.Cut(raw, 200), err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" {
		return fmt.Errorf("photo URL %q: not an absolute http(s) URL", event.Cut(raw, 200))
	}
	host := strings.ToLower(u.Hostname())
	if host != hostOf(pageURL) && !strings.HasSuffix(host, ".onion") {
		return fmt.Errorf("photo URL %q: host %s is neither the page's nor an onion", event.Cut(raw, 200), host)
	}
	return nil
}

// publishImages publishes image and escalation events, each a message of
// its own, and counts them into res as page events are counted.
func (res *pageResult) publishImages(ctx context.Context, d Deps, evs []any) {
	var msgs []bus.Message
	for _, ev := range evs {
		var (
			m   bus.Message
			err error
		)
		switch e := ev.(type) {
		case *event.Image:
			e.Finalize()
			m, err = bus.Encode(event.Subject(event.TypeImage, e.Source), e.EventID, e)
		case *event.ImageEscalation:
			e.Finalize()
			m, err = bus.Encode(event.Subject(event.TypeImageEscalation, e.Source), e.EventID, e)
		default:
			err = fmt.Errorf("encoding %T: not an image event", ev)
		}
		if err != nil {
			res.err = errors.Join(res.err, err)
			continue
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		return
	}
	err := d.Publish.Publish(ctx, msgs)
	var nse *bus.NotStoredError
	switch {
	case err == nil:
		res.events += len(msgs)
	case errors.As(err, &nse):
		failed := map[string]bool{}
		for _, f := range nse.Failures {
			failed[f.ID] = true
		}
		for _, m := range msgs {
			if failed[m.ID] {
				res.notStored = append(res.notStored, m.ID)
			} else {
				res.events++
			}
		}
		res.err = errors.Join(res.err, err)
	default:
		for _, m := range msgs {
			res.notStored = append(res.notStored, m.ID)
		}
		res.err = errors.Join(res.err, fmt.Errorf("publishing photos: %w", err))
	}
}
