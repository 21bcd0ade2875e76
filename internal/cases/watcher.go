package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/warehouse"
)

// Alert kinds.
const (
	AlertNewMarket = "new_market" // a watched identifier on a market it was not known on
	AlertNewHandle = "new_handle" // a watched identifier under a handle it was not known under
	AlertNewRoute  = "new_route"  // listings into a watched country from an origin not seen before
)

// Watcher defaults.
const (
	DefaultOverlap  = 5 * time.Minute
	DefaultInterval = 30 * time.Second
)

// Watcher raises alerts from what was loaded since its persisted watermark.
// Set its fields once; Scan and Run are not meant to run at the same time
// in one process (Run calls Scan).
type Watcher struct {
	DB  *warehouse.DB
	Log zerolog.Logger
	// Alerts counts raised alerts by kind (counternet_alerts_total); nil:
	// not counted.
	Alerts *prometheus.CounterVec
	// Overlap is how far before the last scan's end the next scan starts
	// reading (DefaultOverlap when 0): rows are stamped inserted_at when
	// their insert starts and become visible when it ends, so a scan
	// reads again what a slow insert may have made visible late. Alert
	// ids make the re-read raise nothing twice.
	Overlap time.Duration
	// Interval is Run's pause between scans (DefaultInterval when 0).
	Interval time.Duration
	// Name names the watermark in watcher_state ("alerts" when empty).
	Name string
}

// Alert is one alert of a case.
type Alert struct {
	ID         string
	CaseID     string
	WatchID    string
	WatchKind  string
	WatchValue string
	Kind       string   // AlertNewMarket, AlertNewHandle or AlertNewRoute
	Source     string   // market (identifier alerts)
	Handle     string   // handle, lower case (identifier alerts)
	Origin     string   // ships_from (route alerts)
	Country    string   // the watched destination (route alerts)
	Matched    []string // watched identifiers shown: handle:x, pgp:FP, crypto:ADDR
	Sources    []string // markets the new route was seen on
	Vendors    []string // market:handle offering the new route (at most 20)
	Bases      []string // explicit, region, worldwide (route alerts)
	ObservedAt time.Time
	Capture    string // SHA-256 of the earliest page showing it
	RaisedAt   time.Time
	Status     string // AlertStatusNew, AlertStatusSeen, AlertStatusDismissed
	StatusBy   string
}

// Alert statuses.
const (
	AlertStatusNew       = "new"
	AlertStatusSeen      = "seen"
	AlertStatusDismissed = "dismissed"
)

// ScanReport says what one Scan read and raised.
type ScanReport struct {
	From, To   time.Time // observations inserted in [From, now] were read; To is the new watermark
	Watches    int
	Identities int // vendor identities in the new rows showing a watched identifier
	Routes     int // (origin, watched country) pairs in the new rows
	Alerts     []Alert
	Took       time.Duration
}

func (w *Watcher) name() string {
	if w.Name == "" {
		return "alerts"
	}
	return w.Name
}

func (w *Watcher) overlap() time.Duration {
	if w.Overlap <= 0 {
		return DefaultOverlap
	}
	return w.Overlap
}

// Run scans every Interval until ctx ends. A failed scan is logged and
// tried again at the next interval from the same watermark, so nothing
// loaded in between is missed. It returns ctx's error.
func (w *Watcher) Run(ctx context.Context) error {
	every := w.Interval
	if every <= 0 {
		every = DefaultInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rep, err := w.Scan(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			w.Log.Error().Err(err).Msg("alert scan failed; tried again at the next interval")
		case err == nil:
			w.Log.Debug().Time("from", rep.From).Int("watches", rep.Watches).Int("alerts", len(rep.Alerts)).
				Dur("took", rep.Took).Msg("alert scan")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Scan reads the observations inserted since the watermark, raises an alert
// for each watched item that shows something new, and moves the watermark
// on. An alert's id is derived from the watched item and what is new, so a
// scan that reads the same rows again (after a crash, or in the overlap)
// raises nothing twice; anything known when the item was watched (see
// AddWatch) or already alerted raises nothing.
func (w *Watcher) Scan(ctx context.Context) (ScanReport, error) {
	start := time.Now()
	var rep ScanReport
	now, err := serverNow(ctx, w.DB)
	if err != nil {
		return rep, fmt.Errorf("scanning for alerts: %w", err)
	}
	watches, err := loadWatches(ctx, w.DB, "")
	if err != nil {
		return rep, fmt.Errorf("scanning for alerts: %w", err)
	}
	rep.Watches = len(watches)
	from, ok, err := w.watermark(ctx)
	if err != nil {
		return rep, err
	}
	if !ok {
		// The first scan starts before the first watched item was added:
		// what was loaded before is in watch_known.
		from = now
		for _, wt := range watches {
			from = minTime(from, wt.AddedAt)
		}
		from = from.Add(-w.overlap())
	}
	rep.From = from
	var found []Alert
	if len(watches) > 0 {
		idents, err := w.newIdentities(ctx, from, watches)
		if err != nil {
			return rep, err
		}
		routes, err := w.newRoutes(ctx, from, watches)
		if err != nil {
			return rep, err
		}
		rep.Identities, rep.Routes = len(idents), len(routes)
		candidates := append(identityCandidates(watches, idents), routeCandidates(watches, routes)...)
		if found, err = w.judge(ctx, candidates, now); err != nil {
			return rep, err
		}
	}
	if len(found) > 0 {
		if err := w.writeAlerts(ctx, found); err != nil {
			return rep, err
		}
	}
	rep.Alerts = found
	rep.To = maxTime(from, now.Add(-w.overlap()))
	err = insertRows(ctx, w.DB, "watcher_state", []string{"name", "watermark", "scanned_at", "alerts", "version"},
		[]any{w.name(), dbTime(rep.To), dbTime(now), uint64(len(found)), nextVersion()})
	if err != nil {
		return rep, fmt.Errorf("scanning for alerts: saving the watermark: %w", err)
	}
	rep.Took = time.Since(start)
	if len(found) > 0 {
		w.Log.Info().Int("alerts", len(found)).Time("from", from).Dur("took", rep.Took).Msg("alerts raised")
	}
	return rep, nil
}

// watermark reads the persisted watermark; ok is false before the first scan.
func (w *Watcher) watermark(ctx context.Context) (time.Time, bool, error) {
	var t time.Time
	err := w.DB.Conn().QueryRow(ctx, "SELECT watermark FROM watcher_state FINAL WHERE name = ?", w.name()).Scan(&t)
	if isNoRows(err) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("scanning for alerts: reading the watermark: %w", err)
	}
	return t.UTC(), true, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// candidate is something new the rows show for one watched item, before
// it is checked against what is known.
type candidate struct {
	watch      Watch
	source     string // identity: market
	handle     string // identity: handle, lower case
	origin     string // route: ships_from
	matched    []string
	sources    []string
	vendors    []string
	bases      []string
	observedAt time.Time
	capture    string
}

// alertID is derived from the watched item and what is new.
func (c candidate) alertID() string {
	key := c.watch.ID + "\x00identity\x00" + c.source + "\x00" + c.handle
	if c.watch.Kind == WatchRoute {
		key = c.watch.ID + "\x00route\x00" + c.origin
	}
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:16])
}

// knownKey identifies a vendor identity or origin within one watched item.
type knownKey struct{ watch, source, handle, origin string }

func (c candidate) key() knownKey {
	return knownKey{c.watch.ID, c.source, c.handle, c.origin}
}

// judge drops the candidates already known or alerted and returns the
// alerts for the rest, in the order they were observed. An identity whose
// handle the item was never known under is a new handle, else a new market.
func (w *Watcher) judge(ctx context.Context, cands []candidate, now time.Time) ([]Alert, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	ids := map[string]bool{}
	for _, c := range cands {
		ids[c.watch.ID] = true
	}
	known, err := loadKnown(ctx, w.DB, keys(ids))
	if err != nil {
		return nil, err
	}
	handles := map[string]map[string]bool{} // watch -> handles known
	for k := range known {
		if handles[k.watch] == nil {
			handles[k.watch] = map[string]bool{}
		}
		handles[k.watch][k.handle] = true
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if !a.observedAt.Equal(b.observedAt) {
			return a.observedAt.Before(b.observedAt)
		}
		if a.source != b.source {
			return a.source < b.source
		}
		if a.handle != b.handle {
			return a.handle < b.handle
		}
		return a.origin < b.origin
	})
	var out []Alert
	for _, c := range cands {
		if known[c.key()] {
			continue
		}
		known[c.key()] = true
		a := Alert{ID: c.alertID(), CaseID: c.watch.CaseID, WatchID: c.watch.ID, WatchKind: c.watch.Kind, WatchValue: c.watch.Value,
			Source: c.source, Handle: c.handle, Origin: c.origin, Matched: c.matched, Sources: c.sources, Vendors: c.vendors, Bases: c.bases,
			ObservedAt: c.observedAt, Capture: c.capture, RaisedAt: dbTime(now), Status: AlertStatusNew}
		switch {
		case c.watch.Kind == WatchRoute:
			a.Kind, a.Country = AlertNewRoute, c.watch.Value
		case handles[c.watch.ID][c.handle] || (c.watch.Kind == WatchHandle && c.handle == c.watch.Value):
			a.Kind = AlertNewMarket
		default:
			a.Kind = AlertNewHandle
		}
		if handles[c.watch.ID] == nil {
			handles[c.watch.ID] = map[string]bool{}
		}
		handles[c.watch.ID][c.handle] = true
		out = append(out, a)
	}
	return out, nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// maxKnownRows bounds what loadKnown reads in one scan.
const maxKnownRows = 2000000

// loadKnown reads what was known of the watched items when they were added
// and what their alerts have raised since.
func loadKnown(ctx context.Context, db *warehouse.DB, watchIDs []string) (map[knownKey]bool, error) {
	rows, err := db.Conn().Query(ctx, fmt.Sprintf("SELECT watch_id, source, handle, origin FROM watch_known WHERE has(?, watch_id) "+
		"UNION ALL SELECT watch_id, source, handle, origin FROM case_alerts FINAL WHERE has(?, watch_id) LIMIT %d", maxKnownRows+1),
		watchIDs, watchIDs)
	if err != nil {
		return nil, fmt.Errorf("scanning for alerts: reading what is known: %w", err)
	}
	defer rows.Close()
	known := map[knownKey]bool{}
	n := 0
	for rows.Next() {
		var k knownKey
		if err := rows.Scan(&k.watch, &k.source, &k.handle, &k.origin); err != nil {
			return nil, fmt.Errorf("scanning for alerts: reading what is known: %w", err)
		}
		known[k] = true
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("scanning for alerts: reading what is known: %w", err)
	}
	if n > maxKnownRows {
		return nil, errors.New("scanning for alerts: more than 2,000,000 known identities and alerts for the watched items in the new rows; narrow the watchlists")
	}
	return known, nil
}

var alertColumns = []string{"alert_id", "case_id", "watch_id", "watch_kind", "watch_value", "kind", "source", "handle", "origin", "country",
	"matched", "sources", "vendors", "bases", "observed_at", "capture_sha256", "raised_at", "status", "status_by", "version"}

func alertRow(a Alert) []any {
	nz := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return []any{a.ID, a.CaseID, a.WatchID, a.WatchKind, a.WatchValue, a.Kind, a.Source, a.Handle, a.Origin, a.Country,
		nz(a.Matched), nz(a.Sources), nz(a.Vendors), nz(a.Bases), dbTime(a.ObservedAt), a.Capture, dbTime(a.RaisedAt), a.Status, a.StatusBy, nextVersion()}
}

// writeAlerts stores new alerts and counts them.
func (w *Watcher) writeAlerts(ctx context.Context, alerts []Alert) error {
	rows := make([][]any, len(alerts))
	for i, a := range alerts {
		rows[i] = alertRow(a)
	}
	if err := insertRows(ctx, w.DB, "case_alerts", alertColumns, rows...); err != nil {
		return fmt.Errorf("scanning for alerts: %w", err)
	}
	for _, a := range alerts {
		if w.Alerts != nil {
			w.Alerts.WithLabelValues(a.Kind).Inc()
		}
		w.Log.Info().Str("case", a.CaseID).Str("kind", a.Kind).Str("watch", a.WatchKind+" "+a.WatchValue).
			Str("source", a.Source).Str("handle", a.Handle).Str("origin", a.Origin).Str("alert", a.ID).Msg("alert")
	}
	return nil
}
