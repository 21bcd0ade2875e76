package console

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/counternet/counternet/internal/query"
)

// Row and column bounds of what a page reads: a page never holds an
// unbounded answer, and says when it was cut.
const (
	maxSearchRows  = 200
	maxProfileRows = 500
	maxTableRows   = 1000
)

// queryLog times the queries one page runs, for the render-to-query ratio
// (Timing).
type queryLog struct {
	mu    sync.Mutex
	n     int
	total time.Duration
	each  []queryTime
}

// queryTime is one query's time; what names it (the saved query, or the
// first line of the statement).
type queryTime struct {
	What string
	Took time.Duration
}

// Timing is how long the last measured page took, in total and in its
// queries.
type Timing struct {
	Queries     int
	QueryTime   time.Duration
	RenderTotal time.Duration
}

type queryLogKey struct{}

func withQueryLog(ctx context.Context) (context.Context, *queryLog) {
	ql := &queryLog{}
	return context.WithValue(ctx, queryLogKey{}, ql), ql
}

func (ql *queryLog) add(what string, d time.Duration) {
	if ql == nil {
		return
	}
	ql.mu.Lock()
	ql.n++
	ql.total += d
	if len(ql.each) < 100 {
		ql.each = append(ql.each, queryTime{What: what, Took: d})
	}
	ql.mu.Unlock()
}

func logOf(ctx context.Context) *queryLog {
	ql, _ := ctx.Value(queryLogKey{}).(*queryLog)
	return ql
}

// fetch runs a statement of the console's own through query.Fetch, with
// args bound by the driver, reading at most limit rows.
func (s *Server) fetch(ctx context.Context, limit int, sql string, args ...any) (*query.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	start := time.Now()
	res, err := query.Fetch(ctx, s.opts.Conn, limit, sql, args...)
	what, _, _ := strings.Cut(sql, "\n")
	logOf(ctx).add(what, time.Since(start))
	return res, err
}

// saved runs a saved query by name through query.Run.
func (s *Server) saved(ctx context.Context, name string, params map[string]string, limit int) (*query.Result, error) {
	q, err := query.Lookup(name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	start := time.Now()
	res, err := query.Run(ctx, s.opts.Conn, q, params, limit)
	logOf(ctx).add(name, time.Since(start))
	return res, err
}

// table is a query result as a page shows it: column names and each cell
// as text.
type table struct {
	Columns   []string
	Rows      [][]string
	Truncated bool
}

// asTable renders a result's cells as text (times in UTC, arrays joined).
func asTable(res *query.Result) table {
	t := table{Columns: res.Columns, Truncated: res.Truncated}
	for _, row := range res.Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = cell(v)
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

func cell(v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.Unix() <= 0 {
			return ""
		}
		return x.UTC().Format("2006-01-02 15:04:05")
	case []string:
		return fmt.Sprint(joinNonEmpty(x))
	case float64:
		return trimFloat(x)
	case *float64:
		if x == nil {
			return ""
		}
		return trimFloat(*x)
	case *int64:
		if x == nil {
			return ""
		}
		return fmt.Sprint(*x)
	}
	return fmt.Sprint(v)
}

func joinNonEmpty(xs []string) string {
	out := ""
	for _, x := range xs {
		if x == "" {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += x
	}
	return out
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.4f", f)
	for len(s) > 0 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// str, u64, f64 and tm read a cell of a known type.
func str(v any) string {
	s, _ := v.(string)
	return s
}

func u64(v any) uint64 {
	switch x := v.(type) {
	case uint64:
		return x
	case uint32:
		return uint64(x)
	case uint8:
		return uint64(x)
	case int64:
		return uint64(x)
	}
	return 0
}

func f64(v any) float64 {
	f, _ := v.(float64)
	return f
}

func tm(v any) time.Time {
	t, _ := v.(time.Time)
	return t
}

func strs(v any) []string {
	s, _ := v.([]string)
	return s
}
