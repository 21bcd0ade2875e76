package export

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/synth"
	"github.com/counternet/counternet/internal/testenv"
)

// BenchmarkExport100k exports 100,000 distinct listings (synthetic, from
// the fixture world, one week each so every observation is its own
// listing) with their vendors and vendor links, encrypted, without
// evidence. It reports the export's time as a ratio to reading the same
// listings from ClickHouse (the baseline, measured in the same run), the
// listings per second, and the peak RSS during the exports.
func BenchmarkExport100k(b *testing.B) {
	const n = 100_000
	db := testenv.ClickHouse(b)
	ctx := context.Background()
	if _, err := synth.Write(ctx, db, synth.Options{Listings: n, Seed: 42, Weeks: 1,
		Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}, zerolog.Nop()); err != nil {
		b.Fatal(err)
	}
	ref, err := reference.Default()
	if err != nil {
		b.Fatal(err)
	}
	sender, partner := newParty(b), newParty(b)
	x := &Exporter{
		DB: db, Ref: ref, SigningKey: sender.signingKey(b), Log: zerolog.Nop(),
		Sender:   Sender{Agency: "Bench agency", Country: "DE"},
		AuditLog: filepath.Join(sender.dir, AuditLogFile),
		Partners: []reference.Partner{{ID: "bench-nl", Agency: "Bench partner", Country: "NL", MaxTLP: "amber",
			SigningKey: partner.keys.SigningPub, EncryptionKey: partner.keys.AgeRecipient}},
	}
	// Baseline: read the listings the export selects, and nothing else;
	// measured before each export, so both see the same machine load.
	read := func() time.Duration {
		start := time.Now()
		rows := 0
		if err := streamListings(ctx, db.Conn(), Selection{}, fieldSet{}, func(*Listing) error { rows++; return nil }); err != nil {
			b.Fatal(err)
		}
		if rows != n {
			b.Fatalf("%d listings in the warehouse, want %d", rows, n)
		}
		return time.Since(start)
	}
	out := b.TempDir()
	var size int64
	var counts map[string]uint64
	var baseline, exporting time.Duration
	resetPeakRSS()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		baseline += read()
		b.StartTimer()
		start := time.Now()
		res, err := x.Export(ctx, Request{Partner: "bench-nl", TLP: "amber", Purpose: "benchmark", LegalBasis: "benchmark",
			Who: "bench", Output: filepath.Join(out, "p"+strconv.Itoa(i)+".cnpkg")})
		if err != nil {
			b.Fatal(err)
		}
		exporting += time.Since(start)
		size, counts = res.Size, res.Manifest.Counts
		b.StopTimer()
		os.Remove(res.File)
		b.StartTimer()
	}
	b.StopTimer()
	per := exporting / time.Duration(b.N)
	b.ReportMetric(exporting.Seconds()/baseline.Seconds(), "x-read-time")
	b.ReportMetric(float64(n)/per.Seconds(), "listings/s")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(size)/(1<<20), "package-MiB")
	b.Logf("baseline read %v; export %v; counts %v", baseline/time.Duration(b.N), per, counts)
}

// resetPeakRSS resets the process's peak resident set size (VmHWM), so the
// peak measured after it is the exports', not the data generation's.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM in bytes (0 when unknown).
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
