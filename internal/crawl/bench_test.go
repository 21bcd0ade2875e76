package crawl_test

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/fixture/hostile"
)

// BenchmarkCollector crawls a fixture market behind a SOCKS proxy that adds
// 300 ms to every request, with 64 fetches in flight, through the whole
// collector path (Tor dialer, fetch, WARC evidence with fsync, extraction,
// JetStream publish). It reports pages/s, their ratio to the ideal
// (concurrency ÷ latency = 64 / 0.3 s ≈ 213 pages/s, which no crawl whose
// index must come first can reach: 513 pages in 9 latencies is 0.89 of it;
// ratio_to_index_first is the ratio to that) and the process's peak RSS
// (VmHWM).
//
//	go test ./internal/crawl/ -run '^$' -bench Collector -benchtime 3x
func BenchmarkCollector(b *testing.B) {
	const (
		latency = 300 * time.Millisecond
		conc    = 64
		items   = 512
	)
	e := newEnv(b, hostile.Options{Items: items})
	e.proxy.SetLatency(latency)
	site := siteFile(b, "bench", mirrorA)
	site.Politeness.Concurrency = conc
	site.Limits.MaxPages = items + 1
	opts := fetchOptions()
	opts.Concurrency = conc
	opts.Timeout = 30 * time.Second
	opts.IdleTimeout = 10 * time.Second
	opts.MaxBytes = 1 << 20
	pages := 0
	var took time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		rep, err := e.run(b, site, opts, nil)
		took += time.Since(start)
		if err != nil || rep.PagesOK != items+1 {
			b.Fatalf("run: %v; %s", err, rep.Summary())
		}
		pages += rep.PagesOK
	}
	b.StopTimer()
	rate := float64(pages) / took.Seconds()
	ideal := float64(conc) / latency.Seconds()
	b.ReportMetric(rate, "pages/s")
	b.ReportMetric(rate/ideal, "ratio_to_ideal")
	// The most a crawl can do when the index page must come first: one
	// latency for it, then the detail pages in waves of conc.
	waves := 1 + (items+conc-1)/conc
	b.ReportMetric(rate/(float64(items+1)/(float64(waves)*latency.Seconds())), "ratio_to_index_first")
	if hwm, ok := vmHWM(); ok {
		b.ReportMetric(float64(hwm)/(1<<20), "peak_rss_MiB")
	}
	b.ReportMetric(0, "ns/op")
}

// vmHWM reads the process's peak resident set size from /proc/self/status.
func vmHWM() (int64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
