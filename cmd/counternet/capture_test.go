package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/fetch"
)

func TestCaptureShow(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("COUNTERNET_DATA_DIR", dir)
	store, err := capture.Open(filepath.Join(dir, "captures"))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "text/html")
	rec, err := store.Put("harbor", &fetch.Page{
		URL: "http://x.onion/item/1", FinalURL: "http://x.onion/item/1", Status: 200, Header: h,
		Body: []byte("<html>evidence</html>"), FetchedAt: time.Now().UTC(), Outcome: fetch.OutcomeOK,
	})
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"capture", "show", rec.SHA256}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if got := out.String(); !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(got, "\r\n\r\n<html>evidence</html>") {
		t.Errorf("output:\n%s", got)
	}
	if !strings.Contains(errOut.String(), "http://x.onion/item/1") {
		t.Errorf("stderr does not name the target: %s", errOut.String())
	}
	out.Reset()
	errOut.Reset()
	// A hash not in the store: the error names the directory searched.
	if code := run(context.Background(), []string{"capture", "show", strings.Repeat("0", 64)}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "capture not found") || !strings.Contains(errOut.String(), filepath.Join(dir, "captures")) {
		t.Errorf("unknown hash: exit %d, %s; want the error to name %s", code, errOut.String(), filepath.Join(dir, "captures"))
	}

	// A data dir without a store: said so, and nothing is created there.
	empty := t.TempDir()
	t.Setenv("COUNTERNET_DATA_DIR", empty)
	errOut.Reset()
	if code := run(context.Background(), []string{"capture", "show", rec.SHA256}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "no capture store in "+filepath.Join(empty, "captures")) {
		t.Errorf("empty data dir: exit %d, %s", code, errOut.String())
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("capture show created %v in an empty data dir", entries)
	}
}
