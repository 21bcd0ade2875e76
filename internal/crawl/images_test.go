package crawl_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/crawl"
	"github.com/counternet/counternet/internal/fetch"
	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/images"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/socksd"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/tor"
	"github.com/counternet/counternet/internal/warehouse"
)

// syncBuffer is a log sink the collector's goroutines share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFixturePhotosCollectedAndBlocklistNeverWritten collects the first
// pages of Nebula and Harbor through the SOCKS proxy with photos on (and
// bytes kept, so the evidence store would show a leak), loads the bus into
// ClickHouse, and checks: ok photos arrive in listing_images with their
// hashes; stock photos show as reused by several vendors in image_reuse;
// the blocklisted photo (exact on Nebula, re-encoded on Harbor) is in
// image_escalations only, and its SHA-256, its pHash and its bytes are in
// no file of the evidence store, no column of any ClickHouse table and no
// line of the debug log.
func TestFixturePhotosCollectedAndBlocklistNeverWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: fixture markets behind socks, embedded nats, clickhouse")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	w := fixture.Generate(7)
	srv := fixture.NewServer(w, zerolog.Nop())
	hosts := map[string]bool{}
	for _, m := range w.AllMarkets() {
		hosts[m.Host] = true
	}
	proxy := socksd.New(zerolog.Nop(), func(host string) (string, bool) { return srv.Addr(), hosts[host] })
	srv.Allow = proxy.IsOutbound
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := proxy.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	c, err := bus.Connect(ctx, bus.Options{URL: testenv.NATS(t), Name: "images-test"}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	evDir := filepath.Join(t.TempDir(), "captures")
	store, err := capture.Open(evDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	db := testenv.ClickHouse(t)

	blocked := fixture.BlockedImage()
	bp, _, err := images.Analyze(blocked, false, images.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bl, err := images.ParseBlocklist("test", strings.NewReader(fixture.TestBlocklist(bp.SHA256, images.Hex(bp.PHash))))
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := zerolog.New(&logs).Level(zerolog.DebugLevel)
	sites, err := pipeline.LoadDir("../../pipelines")
	if err != nil {
		t.Fatal(err)
	}
	dialer := tor.NewDialer(proxy.Addr(), tor.WithProxyTimeout(time.Second))
	opts := fetch.Options{UserAgent: "counternet-test", Timeout: 5 * time.Second, Retries: 1,
		BackoffBase: 5 * time.Millisecond, BackoffMax: 20 * time.Millisecond, Concurrency: 4}
	for _, s := range sites {
		if s.Name != fixture.Nebula && s.Name != fixture.Harbor {
			continue
		}
		pageClient := fetch.New(dialer.ForIdentity(s.Name, "p").DialContext, opts, log)
		imgClient := fetch.New(dialer.ForIdentity(s.Name, "i").DialContext, crawl.ImageFetchOptions(opts, images.Limits{}), log)
		ic := &crawl.ImageCollector{Fetch: imgClient, Evidence: store, Blocklist: bl, Log: log,
			Keep: func(string) bool { return true }}
		rep, err := crawl.Run(ctx, s, crawl.Deps{Fetch: pageClient, Evidence: store,
			Publish: c.Publisher(256, 2, 10*time.Second), Log: log, MaxPages: 30, Images: ic})
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		st := ic.Stats(rep.RunID)
		t.Logf("%s: %s; photos ok %d, refused %d %v, blocklisted %d, kept %d", s.Name, rep.Summary(), st.OK, st.Refused, st.Reasons, st.Blocklisted, st.Kept)
		if st.OK == 0 || st.Blocklisted != 1 || st.Refused != 0 || st.Kept != st.OK {
			t.Errorf("%s: photo stats %+v, want ok photos all kept, one blocklisted, none refused", s.Name, st)
		}
	}

	cons, err := c.Consumer(ctx, bus.ConsumerOptions{Durable: "loader", MaxAckPending: 1000, AckWait: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ld := load.New(cons, load.Sinks{Events: load.WriterFunc(db.Insert), DeadLetters: c.Publisher(64, 3, 10*time.Second),
		DeadTable: load.NewTable(db.Conn()), Acks: c.NC, Images: &images.Store{Conn: db.Conn()}}, load.Options{}, log)
	if err := ld.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if st := ld.Stats(); st.DeadLetters != 0 {
		t.Fatalf("loader: %+v", st)
	}

	var okRows, zeroHash uint64
	row := db.Conn().QueryRow(ctx, "SELECT countIf(outcome = 'ok'), countIf(outcome = 'ok' AND (phash = 0 OR length(sha256) != 64 OR width = 0)) FROM listing_images FINAL")
	if err := row.Scan(&okRows, &zeroHash); err != nil {
		t.Fatal(err)
	}
	if okRows == 0 || zeroHash != 0 {
		t.Errorf("listing_images: %d ok rows, %d of them without hashes", okRows, zeroHash)
	}
	var escalations []struct {
		Source, Entry, By, Listing string
	}
	rows, err := db.Conn().Query(ctx, "SELECT source, entry_id, matched_by, listing_id FROM image_escalations FINAL ORDER BY source")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e struct{ Source, Entry, By, Listing string }
		if err := rows.Scan(&e.Source, &e.Entry, &e.By, &e.Listing); err != nil {
			t.Fatal(err)
		}
		escalations = append(escalations, e)
	}
	rows.Close()
	want := fmt.Sprintf("[{harbor fixture-0002 phash %s} {nebula fixture-0001 sha256 %s}]",
		w.Market(fixture.Harbor).BlockedListing(), w.Market(fixture.Nebula).BlockedListing())
	if got := fmt.Sprint(escalations); got != want {
		t.Errorf("escalations %s, want %s", got, want)
	}
	var maxVendors uint64
	if err := db.Conn().QueryRow(ctx, "SELECT max(vendors) FROM image_reuse").Scan(&maxVendors); err != nil {
		t.Fatal(err)
	}
	if maxVendors < 3 {
		t.Errorf("image_reuse: the most used photo has %d vendors, want a stock photo of 3 or more", maxVendors)
	}

	// Nowhere: the evidence store, ClickHouse, the log.
	reencoded, _, _ := w.Market(fixture.Harbor).Photo(w.Market(fixture.Harbor).BlockedListing(), 2)
	rp, _, _ := images.Analyze(reencoded, false, images.Limits{}, nil)
	secrets := []string{bp.SHA256, images.Hex(bp.PHash), rp.SHA256, images.Hex(rp.PHash), string(blocked[200:264]), string(reencoded[200:264])}
	for _, sha := range []string{bp.SHA256, rp.SHA256} {
		if locs, err := store.Locate(sha); err == nil && len(locs) > 0 {
			t.Errorf("evidence store holds the blocklisted photo %s: %v", sha, locs)
		}
	}
	kept := 0
	err = filepath.WalkDir(evDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		kept++
		for i, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("evidence file %s holds secret %d of the blocklisted photo", path, i)
			}
		}
		return nil
	})
	if err != nil || kept == 0 {
		t.Fatalf("walking the evidence store: %v (%d files)", err, kept)
	}
	scanTables(ctx, t, db, []string{bp.SHA256, rp.SHA256}, []uint64{bp.PHash, bp.DHash, bp.AHash, rp.PHash, rp.DHash, rp.AHash})
	out := logs.String()
	for i, s := range secrets[:4] {
		if strings.Contains(out, s) {
			t.Errorf("the log holds secret %d of the blocklisted photo", i)
		}
	}
	if !strings.Contains(out, "photo matched the blocklist") {
		t.Error("the log does not say a photo matched the blocklist")
	}
}

// scanTables looks for each string in every String and Array(String)
// column, and each hash in every UInt64 column, of every table of db.
func scanTables(ctx context.Context, t *testing.T, db *warehouse.DB, strs []string, hashes []uint64) {
	t.Helper()
	rows, err := db.Conn().Query(ctx, "SELECT table, name, type FROM system.columns WHERE database = currentDatabase()")
	if err != nil {
		t.Fatal(err)
	}
	type col struct{ table, name, typ string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.name, &c.typ); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	scanned := 0
	for _, c := range cols {
		var conds []string
		for _, s := range strs {
			switch c.typ {
			case "String":
				conds = append(conds, fmt.Sprintf("position(`%s`, '%s') > 0", c.name, s))
			case "Array(String)":
				conds = append(conds, fmt.Sprintf("arrayExists(x -> position(x, '%s') > 0, `%s`)", s, c.name))
			}
		}
		if c.typ == "UInt64" {
			for _, h := range hashes {
				conds = append(conds, fmt.Sprintf("`%s` = %d", c.name, h))
			}
		}
		if len(conds) == 0 {
			continue
		}
		var n uint64
		q := fmt.Sprintf("SELECT count() FROM `%s` WHERE %s", c.table, strings.Join(conds, " OR "))
		if err := db.Conn().QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		scanned++
		if n > 0 {
			t.Errorf("table %s column %s holds the blocklisted photo's hash in %d rows", c.table, c.name, n)
		}
	}
	t.Logf("scanned %d String, Array(String) and UInt64 columns of %d columns in all", scanned, len(cols))
}
