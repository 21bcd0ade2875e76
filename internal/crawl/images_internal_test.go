package crawl

import (
	"context"
	"encoding/json"
	"hash/crc32"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/fetch"
	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/images"
	"github.com/counternet/counternet/internal/pipeline"
)

// sink keeps what is published, as the bus would.
type sink struct {
	mu   sync.Mutex
	msgs []bus.Message
}

func (s *sink) Publish(_ context.Context, msgs []bus.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, msgs...)
	return nil
}

// TestHostilePhotosRefusedWithReason serves hostile photos from a real
// HTTP server and checks each image event says why it was refused, with
// the process's heap staying bounded: an endless body is cut at the byte
// limit, HTML as image/jpeg is no image, a JPEG said to be text/html is
// not read, a 404, a truncated JPEG and a PNG claiming 100000x100000
// pixels; photos past the per-page bound are not fetched.
func TestHostilePhotosRefusedWithReason(t *testing.T) {
	good := fixture.VariantOf(fixture.Nebula, "own:3:1")
	mux := http.NewServeMux()
	mux.HandleFunc("/endless.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		chunk := make([]byte, 64<<10)
		copy(chunk, good[:3])
		for i := 0; i < 1<<12; i++ { // up to 256 MiB, far past the limit
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/html.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write([]byte("<html><body>please solve the captcha</body></html>"))
	})
	mux.HandleFunc("/said-html.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write(good)
	})
	mux.HandleFunc("/truncated.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(good[:len(good)/3])
	})
	bomb := pngHeader(100000, 100000)
	mux.HandleFunc("/bomb.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(bomb)
	})
	mux.HandleFunc("/good.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write(good)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	lim := images.Limits{MaxBytes: 1 << 20, PerPage: 7, Timeout: 5 * time.Second}
	var d net.Dialer
	client := fetch.New(d.DialContext, ImageFetchOptions(fetch.Options{}, lim), zerolog.Nop())
	defer client.Close()
	pub := &sink{}
	deps := Deps{Publish: pub, Images: &ImageCollector{Fetch: client, Limits: lim, Log: zerolog.Nop()}}
	want := []struct{ path, outcome, reason string }{
		{"/endless.jpg", event.ImageRefused, images.ReasonTooLarge},
		{"/html.jpg", event.ImageRefused, images.ReasonFormat},
		{"/said-html.jpg", event.ImageRefused, images.ReasonContentType},
		{"/missing.jpg", event.ImageRefused, images.ReasonHTTP},
		{"/truncated.jpg", event.ImageRefused, images.ReasonCorrupt},
		{"/bomb.png", event.ImageRefused, images.ReasonDimensions},
		{"/good.jpg", event.ImageOK, ""},
		{"/good.jpg?again", event.ImageRefused, images.ReasonPageLimit},
	}
	var urls []string
	for _, w := range want {
		urls = append(urls, srv.URL+w.path)
	}
	l := &event.Listing{Provenance: event.Provenance{Source: "hostile", URL: srv.URL + "/listing/1", ObservedAt: time.Now(),
		CaptureSHA256: strings.Repeat("a", 64), RunID: "run-1"}, ListingID: "1", Vendor: "v",
		Attributes: []event.Attr{{Key: ImagesAttribute, Type: event.AttrText, Value: strings.Join(urls, "\n")}}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var res pageResult
	deps.collectImages(context.Background(), &pipeline.Site{Name: "hostile"}, "run-1", []any{l}, &res)
	runtime.ReadMemStats(&after)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 32<<20 {
		t.Errorf("heap grew by %d bytes", grew)
	}
	if len(pub.msgs) != len(want) {
		t.Fatalf("%d image events, want %d", len(pub.msgs), len(want))
	}
	for i, m := range pub.msgs {
		var im event.Image
		if err := json.Unmarshal(m.Data, &im); err != nil {
			t.Fatal(err)
		}
		if _, err := event.DecodeImage(m.Subject, m.Data); err != nil {
			t.Errorf("%s: %v", want[i].path, err)
		}
		if im.Outcome != want[i].outcome || im.Reason != want[i].reason {
			t.Errorf("%s: outcome %s reason %q (%s), want %s %q", want[i].path, im.Outcome, im.Reason, im.Error, want[i].outcome, want[i].reason)
		}
		if im.Outcome == event.ImageRefused && im.Error == "" {
			t.Errorf("%s: refused without saying why", want[i].path)
		}
		t.Logf("%s: %s %s %s", want[i].path, im.Outcome, im.Reason, im.Error)
	}
}

// pngHeader is a PNG signature and an IHDR claiming w x h pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := []byte("IHDR")
	ihdr = append(ihdr, byte(w>>24), byte(w>>16), byte(w>>8), byte(w), byte(h>>24), byte(h>>16), byte(h>>8), byte(h), 8, 6, 0, 0, 0)
	sum := crc32.ChecksumIEEE(ihdr)
	b := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), ihdr...)
	return append(b, byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum))
}
