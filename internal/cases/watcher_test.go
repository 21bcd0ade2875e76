package cases_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/cases"
	"github.com/counternet/counternet/internal/event"
)

// Identifiers of the alert tests (the addresses pass their checksums).
const (
	pgpHydra = "0123456789ABCDEF0123456789ABCDEF01234567"
	pgpGhost = "89ABCDEF0123456789ABCDEF0123456789ABCDEF"
	btcGhost = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
	btcOther = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
)

func newWatcher(w *world, counter *prometheus.CounterVec) *cases.Watcher {
	return &cases.Watcher{DB: w.db, Alerts: counter, Overlap: time.Second,
		Log: zerolog.New(zerolog.NewTestWriter(w.t)).Level(zerolog.WarnLevel)}
}

func alertCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "counternet_alerts_total", Help: "test"}, []string{"kind"})
}

// describe renders alerts as kind:watch_kind:what, sorted.
func describe(as []cases.Alert) []string {
	var out []string
	for _, a := range as {
		what := a.Source + "/" + a.Handle
		if a.Kind == cases.AlertNewRoute {
			what = a.Origin + ">" + a.Country
		}
		out = append(out, a.Kind+":"+a.WatchKind+":"+what)
	}
	sort.Strings(out)
	return out
}

// counted reads the counter of one kind.
func counted(t *testing.T, c *prometheus.CounterVec, kind string) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.WithLabelValues(kind).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func scan(t *testing.T, w *cases.Watcher) cases.ScanReport {
	t.Helper()
	rep, err := w.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestAlerts loads what is known, watches it, loads new sightings and
// checks that each raises exactly one alert, that a second scan and a
// restarted watcher raise nothing twice, and that what was loaded while the
// watcher was down is not missed.
func TestAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	ctx := context.Background()
	w := newWorld(t)
	s := w.service()

	// Known before anything is watched: Hydra on alpha with its key,
	// Ghost on alpha with its key and address, a route NL -> DE.
	w.load([]vendor{
		{market: "alpha", handle: "Hydra", pgp: []string{pgpHydra}},
		{market: "alpha", handle: "Ghost", pgp: []string{pgpGhost}, crypto: []event.CryptoAddress{{Chain: "btc", Address: btcGhost}}},
	}, []listing{{market: "alpha", id: "l1", vendor: "Ghost", from: "NL", to: []string{"DE", "BE"}}})

	c, err := s.CreateCase(ctx, ivan, cases.CaseInput{Title: "Hydra", Purpose: "p", LegalBasis: "b"})
	if err != nil {
		t.Fatal(err)
	}
	wPGP, err := s.AddWatch(ctx, ivan, c.ID, cases.WatchPGP, "0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567", "Hydra's key")
	if err != nil {
		t.Fatal(err)
	}
	wGhost, err := s.AddWatch(ctx, ivan, c.ID, cases.WatchHandle, " Ghost ", "")
	if err != nil {
		t.Fatal(err)
	}
	wDE, err := s.AddWatch(ctx, ivan, c.ID, cases.WatchRoute, "de", "")
	if err != nil {
		t.Fatal(err)
	}
	if wPGP.Value != pgpHydra || wGhost.Value != "ghost" || wDE.Value != "DE" {
		t.Errorf("normalized values %q %q %q", wPGP.Value, wGhost.Value, wDE.Value)
	}
	if wPGP.Known != 1 || wGhost.Known != 1 || wDE.Known != 1 {
		t.Errorf("known when watched: pgp %d, handle %d, route %d; want 1 each", wPGP.Known, wGhost.Known, wDE.Known)
	}
	for _, bad := range []struct{ kind, value string }{
		{cases.WatchPGP, "0123"}, {cases.WatchCrypto, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx"}, {cases.WatchRoute, "Germany"}, {"email", "x"},
	} {
		if _, err := s.AddWatch(ctx, ivan, c.ID, bad.kind, bad.value, ""); !errors.Is(err, cases.ErrInvalid) {
			t.Errorf("watching %s %q: %v, want ErrInvalid", bad.kind, bad.value, err)
		}
	}
	if _, err := s.AddWatch(ctx, olga, c.ID, cases.WatchHandle, "x", ""); !errors.Is(err, cases.ErrForbidden) {
		t.Errorf("a non-member added a watch: %v", err)
	}
	// A watch added and removed raises nothing.
	wOther, err := s.AddWatch(ctx, ivan, c.ID, cases.WatchCrypto, btcOther, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveWatch(ctx, ivan, c.ID, wOther.ID); err != nil {
		t.Fatal(err)
	}
	list, err := s.Watchlist(ctx, ivan, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Errorf("watchlist %+v, want 3 items", list)
	}

	counter := alertCounter()
	watcher := newWatcher(w, counter)
	if rep := scan(t, watcher); len(rep.Alerts) != 0 {
		t.Fatalf("the first scan raised alerts for what was known when watched: %v", describe(rep.Alerts))
	}

	// New: Hydra's key on bravo (same handle), Ghost's key under a new
	// handle on alpha, a listing from FR into DE, Ghost's known route again,
	// the removed watch's address.
	w.load([]vendor{
		{market: "bravo", handle: "Hydra", pgp: []string{pgpHydra}},
		{market: "alpha", handle: "Phantom", pgp: []string{pgpGhost}},
	}, []listing{
		{market: "bravo", id: "b1", vendor: "Someone", from: "FR", to: []string{"DE"}},
		{market: "alpha", id: "l2", vendor: "Ghost", from: "NL", to: []string{"DE"}},
		{market: "gamma", id: "g1", vendor: "Unwatched", from: "CN", to: []string{"US"}, crypto: []event.CryptoAddress{{Chain: "btc", Address: btcOther}}},
	})
	// The watermark is a second before the last scan (Overlap), in whole
	// seconds as inserted_at counts them: rows inserted two seconds before
	// a scan are not read again after it.
	time.Sleep(2100 * time.Millisecond)
	rep := scan(t, watcher)
	want := []string{"new_handle:handle:alpha/phantom", "new_market:pgp_fingerprint:bravo/hydra", "new_route:route_into:FR>DE"}
	if got := describe(rep.Alerts); !slices.Equal(got, want) {
		t.Fatalf("alerts %v, want %v", got, want)
	}
	for _, a := range rep.Alerts {
		if a.CaseID != c.ID || a.Capture == "" || a.ObservedAt.IsZero() || a.Status != cases.AlertStatusNew {
			t.Errorf("alert %+v", a)
		}
		if _, err := w.store.Response(a.Capture); err != nil {
			t.Errorf("alert %s: its capture %s: %v", a.Kind, a.Capture, err)
		}
		switch a.Kind {
		case cases.AlertNewHandle:
			if !slices.Equal(a.Matched, []string{"pgp:" + pgpGhost}) {
				t.Errorf("new handle alert matched %v", a.Matched)
			}
		case cases.AlertNewRoute:
			if !slices.Equal(a.Sources, []string{"bravo"}) || !slices.Equal(a.Bases, []string{"explicit"}) || !slices.Equal(a.Vendors, []string{"bravo:Someone"}) {
				t.Errorf("new route alert sources %v vendors %v bases %v", a.Sources, a.Vendors, a.Bases)
			}
		}
	}
	if rep := scan(t, watcher); len(rep.Alerts) != 0 {
		t.Errorf("a second scan raised %v again", describe(rep.Alerts))
	}

	// While no watcher runs: Hydra on charlie, a route from ES, and the
	// whole previous batch delivered again.
	w.load([]vendor{{market: "charlie", handle: "Hydra", pgp: []string{pgpHydra}}, {market: "bravo", handle: "GHOST"}},
		[]listing{{market: "charlie", id: "c1", vendor: "Else", from: "ES", to: []string{"DE", "AT"}}})
	w.load([]vendor{{market: "bravo", handle: "Hydra", pgp: []string{pgpHydra}}}, []listing{{market: "bravo", id: "b1", vendor: "Someone", from: "FR", to: []string{"DE"}}})
	restarted := newWatcher(w, counter)
	rep = scan(t, restarted)
	want = []string{"new_market:handle:bravo/ghost", "new_market:pgp_fingerprint:charlie/hydra", "new_route:route_into:ES>DE"}
	if got := describe(rep.Alerts); !slices.Equal(got, want) {
		t.Fatalf("after the restart: alerts %v, want %v", got, want)
	}
	if rep.Identities != 3 {
		t.Errorf("the restarted watcher read %d vendor identities, want the 3 loaded since the last scan (charlie/hydra, bravo/ghost, bravo/hydra again)", rep.Identities)
	}
	if rep := scan(t, restarted); len(rep.Alerts) != 0 {
		t.Errorf("scanning again raised %v", describe(rep.Alerts))
	}

	// A watcher that lost its watermark (a crash before saving it, a new
	// name) reads everything again and raises nothing twice.
	replay := newWatcher(w, counter)
	replay.Name, replay.Overlap = "replay", 24*time.Hour
	if rep := scan(t, replay); len(rep.Alerts) != 0 || rep.Identities != 6 {
		t.Errorf("reading everything again: %d identities, alerts %v; want 6 identities, no alert", rep.Identities, describe(rep.Alerts))
	}

	all, err := s.Alerts(ctx, inge, c.ID, "")
	if !errors.Is(err, cases.ErrForbidden) {
		t.Errorf("a non-member read the alerts: %v", err)
	}
	all, err = s.Alerts(ctx, ivan, c.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 6 {
		t.Errorf("the case has %d alerts, want 6: %v", len(all), describe(all))
	}
	if mine, err := s.AlertsFor(ctx, ivan, ""); err != nil || len(mine) != 6 {
		t.Errorf("ivan's alerts over his cases: %d, %v", len(mine), err)
	}
	if theirs, err := s.AlertsFor(ctx, anna, ""); err != nil || len(theirs) != 0 {
		t.Errorf("anna (no case) has alerts: %d, %v", len(theirs), err)
	}
	if got := counted(t, counter, cases.AlertNewMarket); got != 3 {
		t.Errorf("counternet_alerts_total{kind=new_market} = %v, want 3", got)
	}
	if got := counted(t, counter, cases.AlertNewHandle) + counted(t, counter, cases.AlertNewRoute); got != 3 {
		t.Errorf("counternet_alerts_total{kind=new_handle|new_route} = %v, want 1 + 2", got)
	}
	seen, err := s.SetAlertStatus(ctx, ivan, c.ID, all[0].ID, cases.AlertStatusSeen)
	if err != nil {
		t.Fatal(err)
	}
	if seen.Status != cases.AlertStatusSeen || seen.StatusBy != "ivan" {
		t.Errorf("alert after marking it seen: %+v", seen)
	}
	if rep := scan(t, restarted); len(rep.Alerts) != 0 {
		t.Errorf("a scan after marking an alert seen raised %v", describe(rep.Alerts))
	}
	news, err := s.Alerts(ctx, ivan, c.ID, cases.AlertStatusNew)
	if err != nil {
		t.Fatal(err)
	}
	if len(news) != 5 {
		t.Errorf("%d new alerts after marking one seen, want 5", len(news))
	}
	adds := auditOf(t, s, "watch_add")
	if len(adds) != 4+1 || !slices.ContainsFunc(adds, func(e cases.AuditEntry) bool {
		return e.User == "ivan" && e.Detail == "pgp_fingerprint "+pgpHydra+" (1 known)"
	}) {
		t.Errorf("watch_add audited %+v, want 4 added (with what was known), 1 refused", adds)
	}
}

// TestWatcherRun runs the watcher in the background, as the console role
// does, and checks that it raises an alert for data loaded meanwhile and
// stops with its context.
func TestWatcherRun(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	ctx := context.Background()
	w := newWorld(t)
	s := w.service()
	c, err := s.CreateCase(ctx, ivan, cases.CaseInput{Title: "Run", Purpose: "p", LegalBasis: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddWatch(ctx, ivan, c.ID, cases.WatchCrypto, btcOther, ""); err != nil {
		t.Fatal(err)
	}
	watcher := newWatcher(w, alertCounter())
	watcher.Interval = 100 * time.Millisecond
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- watcher.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	}()
	w.load(nil, []listing{{market: "gamma", id: "g1", vendor: "Payee", from: "CN", to: []string{"US"},
		crypto: []event.CryptoAddress{{Chain: "btc", Address: btcOther}}}})
	deadline := time.Now().Add(20 * time.Second)
	for {
		as, err := s.Alerts(ctx, ivan, c.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(as) == 1 {
			if as[0].Kind != cases.AlertNewHandle || as[0].Source != "gamma" || as[0].Handle != "payee" {
				t.Errorf("alert %+v", as[0])
			}
			return
		}
		if len(as) > 1 || time.Now().After(deadline) {
			t.Fatalf("alerts %v, want one for gamma/payee", describe(as))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
