package pipeline_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/counternet/counternet/internal/pipeline"
)

// BenchmarkExtract50 extracts a 50-listing grid page (Whitehall's saved
// index page: 50 partial listing records, 50 links and a next link) with its
// site file, and reports the time as a ratio to golang.org/x/net/html Parse
// alone on the same page, measured interleaved in the same run (x_parse).
func BenchmarkExtract50(b *testing.B) {
	s, err := pipeline.Load("../../pipelines/whitehall.yaml")
	if err != nil {
		b.Fatal(err)
	}
	tc := s.Tests[0]
	page, err := os.ReadFile("../../pipelines/" + tc.File)
	if err != nil {
		b.Fatal(err)
	}
	res, err := s.Extract(tc.Page, tc.URL, page)
	if err != nil || len(res.Records) != 50 || len(res.Links) != 50 {
		b.Fatalf("want 50 records and links, got %v (%v)", res, err)
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	b.ResetTimer()
	var parse, extract time.Duration
	for range b.N {
		t0 := time.Now()
		if _, err := html.Parse(bytes.NewReader(page)); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := s.Extract(tc.Page, tc.URL, page); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		parse += t1.Sub(t0)
		extract += t2.Sub(t1)
	}
	b.ReportMetric(float64(extract)/float64(parse), "x_parse")
	b.ReportMetric(float64(extract.Nanoseconds())/float64(b.N), "extract_ns/page")
}
