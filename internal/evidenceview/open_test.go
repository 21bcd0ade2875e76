package evidenceview

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/fetch"
)

func storeWith(t *testing.T, body string) (*capture.Store, capture.Record) {
	t.Helper()
	st, err := capture.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := http.Header{}
	h.Set("Content-Type", "text/html; charset=utf-8")
	rec, err := st.Put("dutchmarket", &fetch.Page{
		URL: "http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion/listing/7", FinalURL: "http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion/listing/7",
		Status: 200, Header: h, Body: []byte(body), FetchedAt: time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC),
		Outcome: fetch.OutcomeOK, Method: http.MethodGet,
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, rec
}

func TestOpenAndStatement(t *testing.T) {
	body := `<html><head><title>MDMA 1g</title></head><body><h1>MDMA 1g</h1><script>document.title='pwned'</script></body></html>`
	st, rec := storeWith(t, body)
	ev, err := Open(st, rec.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if ev.SHA256 != rec.SHA256 || string(ev.Body) != body || ev.Status != 200 || ev.ContentType != "text/html; charset=utf-8" ||
		ev.Mirror != "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuv.onion" || ev.Source != "dutchmarket" ||
		!ev.CapturedAt.Equal(time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)) || ev.RecordID == "" || ev.Offset != rec.Offset ||
		!strings.HasPrefix(ev.File, "dutchmarket/20260301-") {
		t.Errorf("evidence %+v", ev)
	}
	out, rep, err := ev.Sanitized()
	if err != nil || !bytes.Contains(out, []byte("<h1>MDMA 1g</h1>")) || rep.Removed["script"] != 1 || rep.Title != "MDMA 1g" {
		t.Errorf("sanitized %q %+v %v", out, rep, err)
	}

	at := time.Date(2026, 4, 2, 9, 15, 0, 0, time.UTC)
	s, err := Statement(ev, Printing{Run: "run-42<b>", Market: "Dutch Market", By: "j.devries", At: at})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		rec.SHA256, "2026-03-01T12:30:00Z", ev.URL, ev.Mirror, "Dutch Market", "run-42&lt;b&gt;", "j.devries", "2026-04-02T09:15:00Z",
		html.EscapeString(ev.RecordID), ev.File, "text/html; charset=utf-8",
	} {
		if !bytes.Contains(s, []byte(want)) {
			t.Errorf("statement lacks %q:\n%s", want, s)
		}
	}
	if bad := checkStatement(s); len(bad) > 0 {
		t.Errorf("statement: %v", bad)
	}
	if _, err := Statement(&Evidence{SHA256: rec.SHA256}, Printing{By: "x", At: at}); !errors.Is(err, ErrNotVerified) {
		t.Errorf("statement of evidence not from Open: err = %v", err)
	}
	if _, err := Statement(ev, Printing{At: at}); err == nil {
		t.Error("statement without who printed it")
	}
	s, err = Statement(ev, Printing{By: "x", At: at})
	if err != nil || !bytes.Contains(s, []byte("dutchmarket (collector source)")) || !bytes.Contains(s, []byte("not recorded")) {
		t.Errorf("statement without run or market: %s %v", s, err)
	}
}

// checkStatement returns what in a statement is not plain markup.
func checkStatement(s []byte) []string {
	var bad []string
	low := bytes.ToLower(s)
	for _, w := range []string{"<script", "<style", "<img", "<a ", "<link", "href", "src=", "style="} {
		if bytes.Contains(low, []byte(w)) {
			bad = append(bad, w)
		}
	}
	return bad
}

func TestOpenRefuses(t *testing.T) {
	st, rec := storeWith(t, "<p>original</p>")
	if _, err := Open(st, strings.Repeat("0", 64)); !errors.Is(err, capture.ErrNotFound) {
		t.Errorf("missing capture: err = %v", err)
	}
	if _, err := Open(st, "nothex"); !errors.Is(err, capture.ErrBadHash) {
		t.Errorf("bad hash: err = %v", err)
	}
	// Change one byte of the archived record: Open must refuse it.
	b, err := os.ReadFile(rec.Path)
	if err != nil {
		t.Fatal(err)
	}
	b[rec.Offset+rec.Length/2] ^= 0xff
	if err := os.WriteFile(rec.Path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(st, rec.SHA256); !errors.Is(err, capture.ErrTampered) {
		t.Errorf("tampered capture: err = %v", err)
	}
}
