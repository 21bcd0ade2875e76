package load_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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
)

// BenchmarkLoader1M loads 1M listing events end to end, JetStream →
// ClickHouse, with the loader in a process of its own (batches of 50k,
// ack after insert), and compares its rate with clickhouse-client
// inserting the same rows from a JSONEachRow file into a table of the same
// shape, in the same run. It reports the loader's events/s, the client's
// rows/s, their ratio and the loader's peak RSS.
func BenchmarkLoader1M(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv(EnvBenchEvents)); err == nil && v > 0 {
		n = v
	}
	client, err := exec.LookPath("clickhouse-client")
	if err != nil {
		b.Skip("clickhouse-client not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dir := b.TempDir()

	ls := loadtest.Listings(n, 1)
	msgs, err := loadtest.Messages(ls)
	if err != nil {
		b.Fatal(err)
	}
	rowsFile := filepath.Join(dir, "rows.json")
	f, err := os.Create(rowsFile)
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

	natsURL := testenv.NATS(b)
	cfgPath, err := loadtest.WriteConfig(dir, loadtest.LoaderConfig{
		NATSURL: natsURL, ClickHouseDSN: "clickhouse://" + addr + "/" + db.Database(), Database: db.Database(),
		BatchSize: 50_000, FlushInterval: 2 * time.Second, MaxAckPending: 200_000, AckWait: 2 * time.Minute,
		FetchMax: 5000, LogLevel: "info",
	})
	if err != nil {
		b.Fatal(err)
	}
	conn, err := bus.Connect(ctx, bus.Options{URL: natsURL, Stream: "INTEL", MaxAge: 24 * time.Hour, DuplicateWindow: 2 * time.Hour}, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()

	for b.Loop() {
		// The baseline: clickhouse-client inserting the same rows from a file.
		in, err := os.Open(rowsFile)
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, client, "--host", host, "--port", port, "--database", db.Database(),
			"--query", "INSERT INTO listing_client ("+loadtest.RowColumns+") FORMAT JSONEachRow")
		cmd.Stdin = in
		start := time.Now()
		out, err := cmd.CombinedOutput()
		clientSecs := time.Since(start).Seconds()
		in.Close()
		if err != nil {
			b.Fatalf("clickhouse-client: %v: %s", err, out)
		}

		b.StopTimer()
		if err := conn.Publisher(4096, 3, time.Minute).Publish(ctx, msgs); err != nil {
			b.Fatal(err)
		}
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
		landed, err := loadtest.CheckLanded(ctx, db.Conn(), "listing_obs", ids)
		if err != nil {
			b.Fatal(err)
		}
		if !landed.ExactlyOnce() {
			b.Fatalf("not exactly once: %s", landed)
		}
		var clientRows uint64
		if err := db.Conn().QueryRow(ctx, "SELECT count() FROM listing_client").Scan(&clientRows); err != nil || clientRows != uint64(n) {
			b.Fatalf("clickhouse-client stored %d rows (%v), want %d", clientRows, err, n)
		}
		loaderRate := float64(n) / rep.Seconds
		clientRate := float64(n) / clientSecs
		b.ReportMetric(loaderRate, "events/s")
		b.ReportMetric(clientRate, "client_rows/s")
		b.ReportMetric(loaderRate/clientRate, "ratio")
		b.ReportMetric(float64(rep.PeakRSSKB)/1024, "peak_rss_MiB")
		b.Logf("%d events: loader %.2fs (%.0f events/s, %d batches, peak RSS %d MiB), clickhouse-client %.2fs (%.0f rows/s), ratio %.2f",
			n, rep.Seconds, loaderRate, rep.Batches, rep.PeakRSSKB/1024, clientSecs, clientRate, loaderRate/clientRate)
		// The next round starts from empty tables and a fresh consumer.
		for _, q := range []string{"TRUNCATE TABLE listing_obs", "TRUNCATE TABLE listing_client"} {
			if err := db.Conn().Exec(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		if err := conn.JS.DeleteConsumer(ctx, "INTEL", "loader"); err != nil {
			b.Fatal(err)
		}
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
