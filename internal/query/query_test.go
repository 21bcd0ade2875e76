package query_test

import (
	"errors"
	"strconv"
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
		if _, err := q.Values(requiredValues(q)); err != nil {
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

// requiredValues gives every required parameter of q a value.
func requiredValues(q query.Query) map[string]string {
	given := map[string]string{}
	for _, p := range q.Params {
		if p.Required {
			given[p.Name] = "x"
		}
	}
	return given
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

// TestStatementSinglePass checks that a value is substituted once: a value
// holding "@market" stays text and is not replaced by the market's value,
// so the printed SQL and the SQL that runs are the same and select the
// same rows.
func TestStatementSinglePass(t *testing.T) {
	q, err := query.Lookup("listing-history")
	if err != nil {
		t.Fatal(err)
	}
	v, err := q.Values(map[string]string{"listing_id": "@market", "market": " OR 1=1 OR listing_id = "})
	if err != nil {
		t.Fatal(err)
	}
	stmt := q.Statement(v)
	want := `WHERE source = ' OR 1=1 OR listing_id = ' AND listing_id = '@market'`
	if !strings.Contains(stmt, want) {
		t.Errorf("statement:\n%s\nwant it to contain\n%s", stmt, want)
	}
	lit := q.Literal(v)
	if !strings.Contains(lit, stmt+";\n") {
		t.Errorf("Literal does not end with the statement Run sends:\n%s", lit)
	}
	// A longer name is not taken for a shorter one plus text.
	dq := query.Query{Name: "d", SQL: "SELECT @days, @days_back, @daysx", Params: []query.Param{
		{Name: "days", Type: query.Int, Default: "1", Max: 9}, {Name: "days_back", Type: query.Int, Default: "2", Max: 9}}}
	dv, err := dq.Values(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := dq.Statement(dv); got != "SELECT 1, 2, @daysx" {
		t.Errorf("Statement = %q", got)
	}
}

// TestRequiredParams checks that a query whose parameter has no meaningful
// default refuses to run without it (or with it empty), rather than asking
// ClickHouse for the empty value and printing "(0 rows)".
func TestRequiredParams(t *testing.T) {
	want := map[string][]string{
		"vendor-links": {"handle"}, "vendor-profile": {"handle"}, "listing-history": {"market", "listing_id"},
		"listing-evidence": {"market", "listing_id"}, "address-sightings": {"address"},
		"pgp-sightings": {"fingerprint"}, "forum-mentions": {"handle"}, "chain-inflows": {"handle"},
		"chain-address": {"address"}, "chain-cluster": {"address"},
	}
	for name, params := range want {
		q, err := query.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.Values(nil); !errors.Is(err, query.ErrMissingParam) {
			t.Errorf("%s without parameters: err = %v, want ErrMissingParam", name, err)
		}
		for _, p := range params {
			given := requiredValues(q)
			if len(given) != len(params) {
				t.Errorf("%s: required parameters %v, want %v", name, given, params)
			}
			given[p] = "  "
			if _, err := q.Values(given); !errors.Is(err, query.ErrMissingParam) || !strings.Contains(err.Error(), p) {
				t.Errorf("%s with %s empty: err = %v, want ErrMissingParam naming it", name, p, err)
			}
		}
	}
	// A parameter that is required has no default to show.
	for _, q := range query.All() {
		for _, p := range q.Params {
			if p.Required && p.Default != "" {
				t.Errorf("%s: required %s has default %q", q.Name, p.Name, p.Default)
			}
		}
	}
}

// TestIntRanges checks that every integer parameter is bounded and that a
// value out of its range is an error: days=9223372036854775807 overflowed
// in the cutoff and returned 0 rows.
func TestIntRanges(t *testing.T) {
	for _, q := range query.All() {
		for _, p := range q.Params {
			if p.Type != query.Int {
				continue
			}
			if p.Max <= p.Min || p.Min < 0 {
				t.Errorf("%s: %s has range %d..%d", q.Name, p.Name, p.Min, p.Max)
				continue
			}
			for _, bad := range []string{"9223372036854775807", strconv.FormatInt(p.Max+1, 10), strconv.FormatInt(p.Min-1, 10), "1e3", ""} {
				given := requiredValues(q)
				given[p.Name] = bad
				if _, err := q.Values(given); !errors.Is(err, query.ErrBadParam) {
					t.Errorf("%s: %s=%q: err = %v, want ErrBadParam", q.Name, p.Name, bad, err)
				}
			}
			given := requiredValues(q)
			given[p.Name] = strconv.FormatInt(p.Max, 10)
			if _, err := q.Values(given); err != nil {
				t.Errorf("%s: %s at its maximum: %v", q.Name, p.Name, err)
			}
		}
	}
}

// TestTableFullValues checks that the table never cuts a value an analyst
// pastes elsewhere: a capture hash, an onion host and a long id print in
// full; only free text is cut, and only when asked.
func TestTableFullValues(t *testing.T) {
	sha := strings.Repeat("0123456789abcdef", 4)
	onion := "http://" + strings.Repeat("abcdefghijklmnopqrstuvwxyz", 2) + "abcd.onion/listing/1234567890"
	title := strings.Repeat("word ", 30)
	r := &query.Result{Columns: []string{"capture_sha256", "url", "title"}, Types: []string{"String", "String", "String"},
		Rows: [][]any{{sha, onion, title}}}
	var b strings.Builder
	if err := r.Write(&b, "table"); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{sha, onion, strings.TrimSpace(title)} {
		if !strings.Contains(b.String(), v) {
			t.Errorf("table lacks %q in full:\n%s", v, b.String())
		}
	}
	r.CutText = 20
	b.Reset()
	if err := r.Write(&b, "table"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), sha) || !strings.Contains(b.String(), onion) || strings.Contains(b.String(), strings.TrimSpace(title)) {
		t.Errorf("with CutText 20 want ids in full and the title cut:\n%s", b.String())
	}
}
