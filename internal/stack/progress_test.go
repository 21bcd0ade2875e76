package stack

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	onFetch, flush := Progress(&buf, time.Hour)
	onFetch("nebula", "ok", time.Millisecond)
	onFetch("nebula", "queue", time.Millisecond)
	onFetch("harbor", "ok", time.Millisecond)
	if buf.Len() != 0 {
		t.Fatalf("printed before its interval: %q", buf.String())
	}
	flush()
	if got, want := strings.TrimSpace(buf.String()), "collecting: pages fetched: harbor 1, nebula 2 (1 not ok)"; got != want {
		t.Errorf("progress line %q, want %q", got, want)
	}
}
