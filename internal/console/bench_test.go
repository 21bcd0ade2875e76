package console

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/testenv"
)

// BenchmarkVendorProfile renders the vendor profile of one handle over
// testenv.BenchRows() listing observations and reports the time of the whole
// render (queries, page assembly, template) as a ratio to the time of the
// queries it runs, measured in the same renders.
func BenchmarkVendorProfile(b *testing.B) {
	db := testenv.ClickHouse(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	testenv.FillBench(ctx, b, db, testenv.BenchRows())
	p, err := loadPages()
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{opts: Options{Conn: db.Conn(), QueryTimeout: 10 * time.Minute, Log: zerolog.Nop()}, pages: p}
	sess := &auth.Session{User: "bench", Roles: []auth.Role{auth.Analyst}, CSRF: "x"}
	var total, queries time.Duration
	var nq, size int
	for b.Loop() {
		qctx, ql := withQueryLog(ctx)
		t0 := time.Now()
		d, err := s.vendorProfile(qctx, "m0", "vendor_42")
		if err != nil {
			b.Fatal(err)
		}
		rec := httptest.NewRecorder()
		s.render(rec, httptest.NewRequest("GET", "/vendor/m0/vendor_42", nil), sess, "vendor", "Vendor vendor_42", d)
		total += time.Since(t0)
		queries += ql.total
		nq = ql.n
		if b.N <= 3 {
			for _, q := range ql.each {
				b.Logf("%8.3fs %s", q.Took.Seconds(), q.What)
			}
		}
		size = rec.Body.Len()
		if rec.Code != 200 || len(d.Listings) == 0 {
			b.Fatalf("render: %d, %d listings", rec.Code, len(d.Listings))
		}
	}
	b.ReportMetric(total.Seconds()/queries.Seconds(), "render/queries")
	b.ReportMetric(total.Seconds()/float64(b.N), "render-s/op")
	b.ReportMetric(queries.Seconds()/float64(b.N), "queries-s/op")
	b.ReportMetric(float64(nq), "queries/op")
	b.Logf("page of %d bytes from %d queries", size, nq)
}
