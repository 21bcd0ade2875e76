package stack

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// Progress returns an OnFetch hook that writes, at most every interval, one
// line with the pages fetched so far per source — progress for interactive
// collections (a manual collect, the demo). Flush writes the final line.
func Progress(w io.Writer, interval time.Duration) (onFetch func(source, class string, took time.Duration), flush func()) {
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		bad    = map[string]int{}
		last   = time.Now()
	)
	line := func() string {
		names := make([]string, 0, len(counts))
		for n := range counts {
			names = append(names, n)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = fmt.Sprintf("%s %d", n, counts[n])
			if bad[n] > 0 {
				parts[i] += fmt.Sprintf(" (%d not ok)", bad[n])
			}
		}
		return "collecting: pages fetched: " + strings.Join(parts, ", ")
	}
	onFetch = func(source, class string, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		counts[source]++
		if class != "ok" {
			bad[source]++
		}
		if time.Since(last) >= interval {
			last = time.Now()
			fmt.Fprintln(w, line())
		}
	}
	flush = func() {
		mu.Lock()
		defer mu.Unlock()
		if len(counts) > 0 {
			fmt.Fprintln(w, line())
		}
	}
	return onFetch, flush
}
