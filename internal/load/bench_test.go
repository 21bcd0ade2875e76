package load_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/loadtest"
	"github.com/counternet/counternet/internal/testenv"
)

// Environment of BenchmarkLoader1M.
const (
	EnvBenchEvents = "COUNTERNET_BENCH_EVENTS" // how many events to load instead of 1M
	EnvBenchLog    = "COUNTERNET_BENCH_LOG"    // file to copy the loader's log (level info) to
	EnvBenchBatch  = "COUNTERNET_BENCH_BATCH"  // the loader's batch_size instead of 50,000
)

// BenchmarkLoader1M loads 1M listing events end to end, JetStream →
// ClickHouse, published as collectors publish them (envelopes of the 50
// events of a page, one message each), with the loader in a process of its
// own (batches of 50k events, each envelope acked after all its rows are
// stored), and compares its rate, in the same run, with:
//
//   - clickhouse-client inserting the same rows from a file into a table of
//     the same shape, in the Native format (the fastest it reads; "ratio")
//     and as JSONEachRow ("ratio_json");
//   - clickhouse-client inserting them in the Native format into
//     listing_obs itself, in a database migrated like the loader's, so
//     that its materialized views run on them as on the loader's rows
//     ("ratio_views");
//   - a drain process pulling the same envelopes from the same consumer and
//     acking each without decoding or storing anything: the ceiling
//     JetStream puts on any loader that acks every message
//     ("ratio_fetch_ack").
//
// It also reports the loader's CPU time per event and its peak RSS.
func BenchmarkLoader1M(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv(EnvBenchEvents)); err == nil && v > 0 {
		n = v
	}
	batchSize := 50_000
	if v, err := strconv.Atoi(os.Getenv(EnvBenchBatch)); err == nil && v > 0 {
		batchSize = v
	}
	client, err := exec.LookPath("clickhouse-client")
	if err != nil {
		b.Skip("clickhouse-client not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dir := b.TempDir()

	ls := loadtest.Listings(n, 1)
	jsonFile, nativeFile := filepath.Join(dir, "rows.json"), filepath.Join(dir, "rows.native")
	f, err := os.Create(jsonFile)
	if err != nil {
		b.Fatal(err)
	}
	if err := loadtest.WriteJSONEachRow(f, ls); err != nil {
		b.Fatal(err)
	}
	f.Close()
	ids := loadtest.IDs(ls)
	ls = nil

	addr := testenv.ClickHouseAddr(b)
	db := testenv.ClickHouse(b)
	host, port, _ := net.SplitHostPort(addr)
	if err := db.Conn().Exec(ctx, "CREATE TABLE listing_client AS listing_obs"); err != nil {
		b.Fatal(err)
	}
	// clickhouse-client runs one query, its input (if any) from a file, its
	// output to another; it returns how long it took.
	var (
		clientRunIn   func(database, query, stdin, stdout string) float64
		lastClientCPU float64 // CPU-s of the last clickhouse-client run
	)
	srv, srvErr := findServerCPU() // without it, no CPU figures
	if srvErr != nil {
		b.Logf("not measuring the server's CPU: %v", srvErr)
	}
	serverSeconds := func() float64 {
		b.Helper()
		if srvErr != nil {
			return 0
		}
		s, err := srv.seconds()
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	clientRun := func(query, stdin, stdout string) float64 {
		b.Helper()
		return clientRunIn(db.Database(), query, stdin, stdout)
	}
	clientRunIn = func(database, query, stdin, stdout string) float64 {
		b.Helper()
		cmd := exec.CommandContext(ctx, client, "--host", host, "--port", port, "--database", database, "--query", query)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if stdin != "" {
			in, err := os.Open(stdin)
			if err != nil {
				b.Fatal(err)
			}
			defer in.Close()
			cmd.Stdin = in
		}
		if stdout != "" {
			o, err := os.Create(stdout)
			if err != nil {
				b.Fatal(err)
			}
			defer o.Close()
			cmd.Stdout = o
		}
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("clickhouse-client %q: %v: %s", query, err, out.Bytes())
		}
		lastClientCPU = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
		return time.Since(start).Seconds()
	}
	clientRows := func() {
		b.Helper()
		var got uint64
		if err := db.Conn().QueryRow(ctx, "SELECT count() FROM listing_client").Scan(&got); err != nil || got != uint64(n) {
			b.Fatalf("clickhouse-client stored %d rows (%v), want %d", got, err, n)
		}
	}
	insert := "INSERT INTO listing_client (" + loadtest.RowColumns + ") FORMAT "

	natsURL := testenv.NATS(b)
	cfgPath, err := loadtest.WriteConfig(dir, loadtest.LoaderConfig{
		NATSURL: natsURL, ClickHouseDSN: "clickhouse://" + addr + "/" + db.Database(), Database: db.Database(),
		BatchSize: batchSize, FlushInterval: 2 * time.Second, MaxAckPending: 200_000, AckWait: 2 * time.Minute,
		FetchMax: 200, LogLevel: "info",
	})
	if err != nil {
		b.Fatal(err)
	}
	conn, err := bus.Connect(ctx, bus.Options{URL: natsURL, Stream: "INTEL", MaxAge: 24 * time.Hour, DuplicateWindow: 2 * time.Hour}, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	dropConsumer := func() {
		b.Helper()
		if err := conn.JS.DeleteConsumer(ctx, "INTEL", "loader"); err != nil {
			b.Fatal(err)
		}
	}

	for b.Loop() {
		b.StopTimer()
		// The baselines: clickhouse-client inserting the same rows from a
		// file, as JSON and in its own Native format.
		jsonSecs := clientRun(insert+"JSONEachRow", jsonFile, "")
		clientRows()
		if _, err := os.Stat(nativeFile); err != nil {
			clientRun("SELECT "+loadtest.RowColumns+" FROM listing_client FORMAT Native", "", nativeFile)
		}
		if err := db.Conn().Exec(ctx, "TRUNCATE TABLE listing_client"); err != nil {
			b.Fatal(err)
		}
		settle(ctx, db)
		srvBare := serverSeconds()
		nativeSecs := clientRun(insert+"Native", nativeFile, "")
		clientRows()
		settle(ctx, db)
		bareServerCPU := serverSeconds() - srvBare
		// The same rows into the loader's own table, listing_obs, in a
		// database of its own migrated like the loader's: every insert
		// there also feeds the materialized views ClickHouse maintains
		// from it (routes, vendor identifiers), as the loader's do.
		views := testenv.ClickHouse(b)
		settle(ctx, db)
		srv0 := serverSeconds()
		viewsSecs := clientRunIn(views.Database(), "INSERT INTO listing_obs ("+loadtest.RowColumns+") FORMAT Native", nativeFile, "")
		settle(ctx, db)
		viewsServerCPU := serverSeconds() - srv0
		viewsClientCPU := lastClientCPU
		var viewRows uint64
		if err := views.Conn().QueryRow(ctx, "SELECT count() FROM listing_obs").Scan(&viewRows); err != nil || viewRows != uint64(n) {
			b.Fatalf("clickhouse-client stored %d rows in listing_obs (%v), want %d", viewRows, err, n)
		}
		if err := views.Conn().Exec(ctx, "DROP DATABASE "+views.Database()); err != nil {
			b.Fatal(err)
		}

		// The ceiling: the same messages fetched and acked, nothing more.
		// The messages are made for each round and dropped once published:
		// the NATS server runs in this process, and a gigabyte of them kept
		// here would tax its garbage collector for the rest of the round.
		msgs := envelopes(b, loadtest.Listings(n, 1), benchPerEnvelope)
		if err := conn.Publisher(4096, 3, time.Minute).Publish(ctx, msgs); err != nil {
			b.Fatal(err)
		}
		nmsgs := len(msgs)
		msgs = nil
		runtime.GC()
		drain, err := loadtest.StartDrain(cfgPath, nmsgs, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		drained, err := drain.Wait(ctx)
		if err != nil {
			b.Fatal(err)
		}
		dropConsumer()

		settle(ctx, db)
		srv0 = serverSeconds()
		b.StartTimer()
		var logs fileLog
		child, err := loadtest.StartLoader(cfgPath, true, logs.open(b, dir))
		if err != nil {
			b.Fatal(err)
		}
		rep, err := child.Wait(ctx)
		logs.close()
		if path := os.Getenv(EnvBenchLog); path != "" {
			if data, err := os.ReadFile(logs.path); err == nil {
				_ = os.WriteFile(path, data, 0o600)
			}
		}
		if err != nil {
			b.Fatalf("%v (log in %s)", err, logs.path)
		}
		b.StopTimer()
		settle(ctx, db)
		loaderServerCPU := serverSeconds() - srv0
		landed, err := loadtest.CheckLanded(ctx, db.Conn(), "listing_obs", ids)
		if err != nil {
			b.Fatal(err)
		}
		if !landed.ExactlyOnce() {
			b.Fatalf("not exactly once: %s", landed)
		}
		rate := func(secs float64) float64 { return float64(n) / secs }
		loader, native, jsonRate, ceiling := rate(rep.Seconds), rate(nativeSecs), rate(jsonSecs), rate(drained.Seconds)
		withViews := rate(viewsSecs)
		b.ReportMetric(loader, "events/s")
		b.ReportMetric(native, "client_rows/s")
		b.ReportMetric(loader/native, "ratio")
		b.ReportMetric(loader/withViews, "ratio_views")
		// The CPU the machine spent per row, client and server, for the
		// client's insert into listing_obs over the loader's: 1 means the
		// loader costs what clickhouse-client does.
		if srvErr == nil {
			b.ReportMetric((viewsServerCPU+viewsClientCPU)/(loaderServerCPU+rep.CPUSeconds), "cpu_ratio_views")
		}
		b.ReportMetric(loader/jsonRate, "ratio_json")
		b.ReportMetric(loader/ceiling, "ratio_fetch_ack")
		b.ReportMetric(rep.CPUSeconds/float64(n)*1e6, "cpu_us/event")
		b.ReportMetric(float64(rep.PeakRSSKB)/1024, "peak_rss_MiB")
		b.Logf("CPU-s: loader %.1f and its server %.1f; clickhouse-client Native into listing_obs %.1f and its server %.1f; "+
			"the server for Native into the bare table %.1f", rep.CPUSeconds, loaderServerCPU, viewsClientCPU, viewsServerCPU, bareServerCPU)
		b.Logf("%d events in %d envelopes: loader %.2fs (%.0f events/s, %.1f CPU-s, %d batches, peak RSS %d MiB); "+
			"clickhouse-client Native %.2fs (%.0f rows/s), into listing_obs with its views %.2fs (%.0f rows/s), JSONEachRow %.2fs (%.0f rows/s); "+
			"fetch+ack %.2fs (%.0f msgs/s, %.1f CPU-s); ratio %.2f, to Native with views %.2f, to JSON %.2f, to fetch+ack %.2f",
			n, nmsgs, rep.Seconds, loader, rep.CPUSeconds, rep.Batches, rep.PeakRSSKB/1024,
			nativeSecs, native, viewsSecs, withViews, jsonSecs, jsonRate, drained.Seconds, ceiling, drained.CPUSeconds,
			loader/native, loader/withViews, loader/jsonRate, loader/ceiling)
		// The next round starts from empty tables, a fresh consumer and an
		// empty stream.
		for _, q := range []string{"TRUNCATE TABLE listing_obs", "TRUNCATE TABLE listing_client"} {
			if err := db.Conn().Exec(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		dropConsumer()
		st, err := conn.JS.Stream(ctx, "INTEL")
		if err == nil {
			err = st.Purge(ctx)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// benchPerEnvelope is the events of one envelope in BenchmarkLoader1M: the
// listings of one 50-listing index page.
const benchPerEnvelope = 50

// fileLog is a child's log file.
type fileLog struct {
	path string
	f    *os.File
}

func (l *fileLog) open(tb testing.TB, dir string) *os.File {
	tb.Helper()
	f, err := os.CreateTemp(dir, "loader-*.log")
	if err != nil {
		tb.Fatal(err)
	}
	l.path, l.f = f.Name(), f
	return f
}

func (l *fileLog) close() {
	if l.f != nil {
		l.f.Close()
	}
}

// tail returns the last n bytes of the log.
func (l *fileLog) tail(n int64) string {
	data, err := os.ReadFile(l.path)
	if err != nil {
		return fmt.Sprint(err)
	}
	return string(data[max(0, int64(len(data))-n):])
}
