package query_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/query"
)

func TestSavedQueriesWellFormed(t *testing.T) {
	qs := query.All()
	if len(qs) < 15 {
		t.Errorf("%d saved queries, want at least 15", len(qs))
	}
	seen := map[string]bool{}
	for _, q := range qs {
		if seen[q.Name] {
			t.Errorf("%s: name used twice", q.Name)
		}
		seen[q.Name] = true
		if q.Description == "" {
			t.Errorf("%s: no description", q.Name)
		}
		for _, p := range q.Params {
			if !strings.Contains(q.SQL, "@"+p.Name) {
				t.Errorf("%s: parameter %s unused in its SQL", q.Name, p.Name)
			}
			if p.Doc == "" {
				t.Errorf("%s: parameter %s undocumented", q.Name, p.Name)
			}
		}
		if _, err := q.Values(nil); err != nil {
			t.Errorf("%s: defaults do not bind: %v", q.Name, err)
		}
		// Every @name in the SQL is a parameter.
		for _, f := range strings.FieldsFunc(q.SQL, func(r rune) bool {
			return !(r == '@' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		}) {
			if name, ok := strings.CutPrefix(f, "@"); ok && !hasParam(q, name) {
				t.Errorf("%s: SQL names @%s, which is no parameter", q.Name, name)
			}
		}
	}
}

func hasParam(q query.Query, name string) bool {
	for _, p := range q.Params {
		if p.Name == name {
			return true
		}
	}
	return false
}

func TestValues(t *testing.T) {
	q, err := query.Lookup("vendors-shipping-into")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		given map[string]string
		want  map[string]any
		err   error
	}{
		{"defaults", nil, map[string]any{"substance": "fentanyl", "country": "DE", "days": int64(90)}, nil},
		{"country upper-cased", map[string]string{"country": "fr", "days": "7"}, map[string]any{"substance": "fentanyl", "country": "FR", "days": int64(7)}, nil},
		{"bad country", map[string]string{"country": "France"}, nil, query.ErrBadParam},
		{"negative days", map[string]string{"days": "-1"}, nil, query.ErrBadParam},
		{"unknown", map[string]string{"dayz": "1"}, nil, query.ErrUnknownParam},
		{"too long", map[string]string{"substance": strings.Repeat("x", query.MaxStringParam+1)}, nil, query.ErrBadParam},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := q.Values(tc.given)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
		})
	}
	if _, err := query.Lookup("nope"); !errors.Is(err, query.ErrUnknownQuery) {
		t.Errorf("Lookup(nope) = %v", err)
	}

	// A parameter with choices takes nothing else: a misspelt confidence
	// would otherwise read as the lowest.
	lv, err := query.Lookup("linked-vendors")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := lv.Values(map[string]string{"min_confidence": "high"}); err != nil || v["min_confidence"] != "high" {
		t.Errorf("min_confidence=high: %v, %v", v, err)
	}
	if _, err := lv.Values(map[string]string{"min_confidence": "hgih"}); !errors.Is(err, query.ErrBadParam) {
		t.Errorf("min_confidence=hgih: err = %v, want ErrBadParam", err)
	}

	// A date must be a day of the calendar.
	dq := query.Query{Name: "d", Params: []query.Param{{Name: "since", Type: query.Date, Default: "2026-01-31"}}}
	for s, ok := range map[string]bool{"2026-01-31": true, "2024-02-29": true, "2026-02-31": false, "2026-13-01": false, "2026-1-31": false, "": false} {
		if _, err := dq.Values(map[string]string{"since": s}); ok != (err == nil) || !ok && !errors.Is(err, query.ErrBadParam) {
			t.Errorf("since=%q: err = %v", s, err)
		}
	}
}

// TestLiteral checks the SQL printed for clickhouse-client: values are
// quoted literals, and a hostile value stays inside its quotes and its
// comment line.
func TestLiteral(t *testing.T) {
	q, _ := query.Lookup("vendor-links")
	v, err := q.Values(map[string]string{"handle": "x' OR 1=1 --\nDROP TABLE listing_obs;\\"})
	if err != nil {
		t.Fatal(err)
	}
	got := q.Literal(v)
	want := `lower('x\' OR 1=1 --\nDROP TABLE listing_obs;\\')`
	if !strings.Contains(got, want) {
		t.Errorf("Literal:\n%s\nwant it to contain %s", got, want)
	}
	if strings.Contains(got, "\nDROP") {
		t.Errorf("a newline in a value reached the SQL text:\n%s", got)
	}
	if strings.Contains(got, "@handle") {
		t.Errorf("placeholder left:\n%s", got)
	}
}

func TestWrite(t *testing.T) {
	r := &query.Result{
		Columns: []string{"week", "at", "name", "n", "xs", "f"},
		Types:   []string{"Date", "DateTime", "String", "UInt64", "Array(String)", "Float64"},
		Rows: [][]any{{time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC),
			"a\tb,\"c\"", uint64(3), []string{"x", "y"}, 0.1}},
	}
	for _, tc := range []struct{ format, want string }{
		{"csv", "week,at,name,n,xs,f\n2024-03-04,2024-03-04T00:00:00Z,\"a\tb,\"\"c\"\"\",3,\"[\"\"x\"\",\"\"y\"\"]\",0.1\n"},
		{"json", `[
  {
    "at": "2024-03-04T00:00:00Z",
    "f": 0.1,
    "n": 3,
    "name": "a\tb,\"c\"",
    "week": "2024-03-04",
    "xs": [
      "x",
      "y"
    ]
  }
]
`},
		{"table", "week        at                    name     n  xs         f\n2024-03-04  2024-03-04T00:00:00Z  a b,\"c\"  3  [\"x\",\"y\"]  0.1\n(1 rows)\n"},
	} {
		var b strings.Builder
		if err := r.Write(&b, tc.format); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s:\n%q\nwant\n%q", tc.format, b.String(), tc.want)
		}
	}
	if err := r.Write(&strings.Builder{}, "xml"); err == nil {
		t.Error("format xml accepted")
	}
}
