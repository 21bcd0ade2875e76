package demo_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/demo"
	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/tor"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// testConfig points the demo at the test's ClickHouse server (a database of
// its own) and a data directory of its own; NATS is embedded.
func testConfig(t *testing.T) *config.Config {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	cfg := testenv.Config(t, "demo")
	cfg.Load.FlushInterval = 200 * time.Millisecond
	cfg.Log.Level = "warn"
	return cfg
}

func startEnv(t *testing.T, cfg *config.Config, seed int64) *demo.Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := demo.Start(ctx, cfg, seed, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

func collectAndLoad(t *testing.T, e *demo.Env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	reports, err := e.Collect(ctx)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	for _, r := range reports {
		if r.Outcome != "ok" {
			t.Fatalf("run %s: outcome %s (%v)", r.Source, r.Outcome, r.Err)
		}
	}
	if err := e.WaitLoaded(ctx); err != nil {
		t.Fatal(err)
	}
}

// sameSet reports whether a and b hold the same codes in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

type row struct {
	n                       uint64
	title, currency, vendor string
	price                   float64
	from                    string
	to, except              []string
}

// loaded reads every listing from listing_obs after collapsing duplicate
// event ids, keyed by source/listing_id.
func loaded(t *testing.T, conn driver.Conn) map[string]row {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT source, listing_id, count(), any(title), any(price_amount), any(price_currency),
		       any(vendor), any(ships_from), any(ships_to), any(ships_to_excluded)
		FROM listing_obs FINAL GROUP BY source, listing_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]row{}
	for rows.Next() {
		var src, id string
		var r row
		if err := rows.Scan(&src, &id, &r.n, &r.title, &r.price, &r.currency, &r.vendor, &r.from, &r.to, &r.except); err != nil {
			t.Fatal(err)
		}
		out[src+"/"+id] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t *testing.T, conn driver.Conn, q string) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestEveryListingLandsOnceWithItsFields collects both fixture markets
// through the SOCKS proxy, publishes on JetStream, loads into ClickHouse and
// checks every generated listing against what landed; then collects again.
func TestEveryListingLandsOnceWithItsFields(t *testing.T) {
	cfg := testConfig(t)
	e := startEnv(t, cfg, 7)
	collectAndLoad(t, e)

	conn := e.Stack.DB.Conn()
	got := loaded(t, conn)
	want := 0
	for _, m := range e.World.AllMarkets() {
		for _, l := range m.Listings {
			want++
			key := m.Name + "/" + l.ID
			r, ok := got[key]
			if !ok {
				t.Errorf("%s: not in ClickHouse", key)
				continue
			}
			if r.n != 1 {
				t.Errorf("%s: %d observations after collapsing, want 1", key, r.n)
			}
			// A listing shipping "worldwide except ..." ships to every ISO
			// country but those (basis worldwide); others to their list.
			wantTo := l.ShipsTo
			if l.ShipsToText != "" {
				wantTo = worldwideExcept(l.ShipsToExcept)
			}
			if r.title != l.Title || r.vendor != l.Vendor || r.currency != l.Currency ||
				math.Abs(r.price-l.Price) > 0.005 || r.from != l.ShipsFrom || !sameSet(r.to, wantTo) ||
				!sameSet(r.except, l.ShipsToExcept) {
				t.Errorf("%s:\n got  %q %q %.2f %s %s→%v\n want %q %q %.2f %s %s→%v", key,
					r.title, r.vendor, r.price, r.currency, r.from, r.to,
					l.Title, l.Vendor, l.Price, l.Currency, l.ShipsFrom, wantTo)
			}
		}
	}
	if len(got) != want {
		t.Errorf("ClickHouse holds %d listings, fixture generated %d", len(got), want)
	}
	if e.Markets.Refused() != 0 {
		t.Errorf("fixture refused %d requests that did not come through the proxy", e.Markets.Refused())
	}
	vendors := count(t, conn, "SELECT count() FROM vendor_current")
	total := 0
	for _, m := range e.World.AllMarkets() {
		total += len(m.Vendors)
	}
	if vendors != uint64(total) {
		t.Errorf("vendor_current has %d rows, fixture has %d vendor profiles", vendors, total)
	}
	checkVendorAddresses(t, e)
	if n, want := count(t, conn, "SELECT uniqExact(source, post_id) FROM post_obs FINAL"), uint64(demo.Posts(e.World)); n != want {
		t.Errorf("post_obs has %d posts, the fixture forum %d", n, want)
	}

	// The same collection again: the current listings stay the same, the
	// observations double (price history), nothing collapses wrongly.
	collectAndLoad(t, e)
	if n := count(t, conn, "SELECT count() FROM listing_current"); n != uint64(want) {
		t.Errorf("after a second run listing_current has %d rows, want %d", n, want)
	}
	if n := count(t, conn, "SELECT count() FROM listing_obs FINAL"); n != uint64(2*want) {
		t.Errorf("after a second run listing_obs has %d observations, want %d", n, 2*want)
	}
	if n, want := count(t, conn, "SELECT count() FROM runs FINAL"), uint64(2*len(e.Sites)); n != want {
		t.Errorf("runs has %d rows, want %d", n, want)
	}
	if n := count(t, conn, "SELECT count() FROM routes"); n == 0 {
		t.Error("routes view is empty")
	}
}

// TestProxyDownFailsClosed stops the SOCKS proxy: the run fails with an
// error naming the proxy and the fixture server sees no request at all.
func TestProxyDownFailsClosed(t *testing.T) {
	cfg := testConfig(t)
	e := startEnv(t, cfg, 3)
	addr := e.Proxy.Addr()
	if err := e.Proxy.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reports, err := e.Collect(ctx)
	if err == nil {
		t.Fatal("collect with the proxy down succeeded")
	}
	if !errors.Is(err, tor.ErrProxyDown) || !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the proxy %s as down", err, addr)
	}
	for _, r := range reports {
		if r.Outcome != "failed" || r.Pages != 0 {
			t.Errorf("%s: outcome %s with %d pages, want failed with 0", r.Source, r.Outcome, r.Pages)
		}
	}
	if n := e.Markets.Requests(); n != 0 {
		t.Errorf("fixture server saw %d requests with the proxy down", n)
	}
}

// TestDemoRun runs `counternet demo` as a user would (with the test's
// ClickHouse) and checks its last line, and that without --keep it prints
// no address of a server (all of them stop when it ends).
func TestDemoRun(t *testing.T) {
	cfg := testConfig(t)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	err := demo.Run(ctx, cfg, demo.Options{Seed: 42, Out: &out}, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "listings loaded: ") || !strings.Contains(last, " in ") {
		t.Errorf("last line %q does not state listings loaded and time", last)
	}
	for _, want := range []string{"listing_obs", "top routes", "top vendors", "flows to"} {
		if !strings.Contains(strings.ToLower(out.String()), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	if m := serverAddress.FindString(out.String()); m != "" {
		t.Errorf("the demo without --keep prints %q, the address of a server about to stop:\n%s", m, out.String())
	}
}

// serverAddress matches what names a loopback server: host:port, a
// client's --port flag, a NATS URL.
var serverAddress = regexp.MustCompile(`127\.0\.0\.1:\d+|localhost:\d+|--port \d+|nats://\S+`)

// checkVendorAddresses compares the payment addresses vendor_current holds
// with those the fixture's vendor pages show, and checks that the
// warehouse sees addresses reused across markets and across handles.
func checkVendorAddresses(t *testing.T, e *demo.Env) {
	t.Helper()
	conn := e.Stack.DB.Conn()
	rows, err := conn.Query(context.Background(), `SELECT source, handle, crypto_chains, crypto_addresses FROM vendor_current`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][]string{}
	for rows.Next() {
		var src, h string
		var chains, addrs []string
		if err := rows.Scan(&src, &h, &chains, &addrs); err != nil {
			t.Fatal(err)
		}
		for i := range addrs {
			got[src+"/"+h] = append(got[src+"/"+h], chains[i]+":"+addrs[i])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, m := range e.World.AllMarkets() {
		for _, v := range m.Vendors {
			var want []string
			for _, a := range v.Crypto {
				want = append(want, a.Chain+":"+a.Address)
			}
			if k := m.Name + "/" + v.Handle; !sameSet(got[k], want) {
				t.Errorf("%s: vendor_current holds addresses %v, the page shows %v", k, got[k], want)
			}
		}
	}
	if n := count(t, conn, "SELECT count() FROM crypto_address_reuse WHERE markets >= 2"); n < 5 {
		t.Errorf("crypto_address_reuse has %d addresses shown on two markets or more, want at least 5", n)
	}
	if n := count(t, conn, `SELECT count() FROM (SELECT address FROM crypto_addresses_seen WHERE kind != 'post'
		GROUP BY address HAVING uniqExact(actor) >= 2)`); n < 2 {
		t.Errorf("crypto_address_reuse has %d addresses shown by two vendor handles or more, want at least 2", n)
	}
}

// worldwideExcept is every ISO 3166-1 country but those excluded, as the
// normalizer expands "Worldwide except ...".
func worldwideExcept(excluded []string) []string {
	var out []string
	for _, d := range normalize.Shipping("Worldwide").Destinations {
		if !slices.Contains(excluded, d.Country) {
			out = append(out, d.Country)
		}
	}
	return out
}
