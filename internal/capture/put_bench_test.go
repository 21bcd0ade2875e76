package capture

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/fetch"
)

// BenchmarkPut64 puts pages from 64 goroutines at once, as the collector
// does with 64 fetches in flight, and reports the mean time a Put waits
// (encoding, writing and the shared sync).
func BenchmarkPut64(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := make([]byte, 8<<10)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	b.ResetTimer()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total time.Duration
	)
	for i := range b.N {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pg := &fetch.Page{URL: "http://m.onion/" + strconv.Itoa(i), FinalURL: "http://m.onion/" + strconv.Itoa(i), Status: 200,
				Header: http.Header{"Content-Type": {"text/html"}}, Body: append(body[:len(body):len(body)], strconv.Itoa(i)...),
				FetchedAt: time.Now(), Outcome: fetch.OutcomeOK}
			t0 := time.Now()
			if _, err := s.Put("alpha", pg); err != nil {
				b.Error(err)
			}
			mu.Lock()
			total += time.Since(t0)
			mu.Unlock()
		}()
		if i%64 == 63 {
			wg.Wait()
		}
	}
	wg.Wait()
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms_per_put")
}
