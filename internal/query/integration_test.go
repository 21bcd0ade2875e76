package query_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/query"
	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/stack"
	"github.com/counternet/counternet/internal/synth"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// analystDB is a migrated database with reference data and synthetic
// observations (a real ClickHouse), and values that select rows from it.
func analystDB(t *testing.T) (*warehouse.DB, map[string]string) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	db := testenv.ClickHouse(t)
	ctx := context.Background()
	ref, err := reference.Default()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.LoadReference(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := synth.Write(ctx, db, synth.Options{Listings: 2000, Seed: 42, Weeks: 4}, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	real := map[string]string{}
	var market, id, vendor, fp string
	if err := db.Conn().QueryRow(ctx, "SELECT source, listing_id, vendor FROM listing_obs ORDER BY source, listing_id LIMIT 1").
		Scan(&market, &id, &vendor); err != nil {
		t.Fatal(err)
	}
	if err := db.Conn().QueryRow(ctx, "SELECT fingerprint FROM pgp_keys_seen ORDER BY fingerprint LIMIT 1").Scan(&fp); err != nil {
		t.Fatal(err)
	}
	real["market"], real["listing_id"], real["handle"], real["fingerprint"], real["address"] = market, id, vendor, fp, "bc1qnothere"
	return db, real
}

// readOnlyConfig points a config at database as the managed server's
// read-only user, with an empty data dir.
func readOnlyConfig(t *testing.T, database string) *config.Config {
	t.Helper()
	if os.Getenv(testenv.EnvClickHouse) != "" {
		t.Skipf("%s names an external server, which has no %s user", testenv.EnvClickHouse, warehouse.ReadOnlyUser)
	}
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.ClickHouse.DSN = "clickhouse://" + warehouse.ReadOnlyUser + "@" + testenv.ClickHouseAddr(t) + "/" + database
	return cfg
}

// TestSavedQueriesReadOnly runs every saved query as a read-only
// ClickHouse user (readonly=1), through the stack a read command opens:
// nothing is created, migrated or reloaded. Opening as every command did
// before (migrations, reference load) fails for that user.
func TestSavedQueriesReadOnly(t *testing.T) {
	db, real := analystDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := readOnlyConfig(t, db.Database())
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)

	if st, err := stack.Open(ctx, cfg, log, stack.Need{Warehouse: true}); err == nil {
		st.Close(ctx)
		t.Error("a setting-up open (migrations, reference load) succeeded as the read-only user")
	}
	st, err := stack.Open(ctx, cfg, log, stack.Need{Warehouse: true, Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	if !strings.Contains(st.Where(), db.Database()) {
		t.Errorf("Where() = %q, want it to name %s", st.Where(), db.Database())
	}

	// vendor_clusters was never computed: the read-only user may not
	// recompute it, and a stale list is refused, not given.
	var strong uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM vendor_links WHERE kind IN ('pgp_fingerprint', 'crypto_address')").Scan(&strong); err != nil {
		t.Fatal(err)
	}
	if strong == 0 {
		t.Fatal("the synthetic data has no strong vendor links; vendor-clusters is not exercised")
	}
	if _, err := query.PrepareClusters(ctx, st.DB); !errors.Is(err, query.ErrStale) {
		t.Errorf("PrepareClusters of a never computed vendor_clusters as read-only: %v, want ErrStale", err)
	}
	if _, err := db.RefreshVendorClusters(ctx); err != nil {
		t.Fatal(err)
	}

	rows := 0
	for _, q := range query.All() {
		if q.RefreshClusters {
			note, err := query.PrepareClusters(ctx, st.DB)
			if err != nil || !strings.Contains(note, "not recomputed") {
				t.Errorf("%s: PrepareClusters as read-only after a refresh: %q, %v", q.Name, note, err)
			}
		}
		res, err := query.Run(ctx, st.DB.Conn(), q, givenFor(q, real), 0)
		if err != nil {
			t.Errorf("%s as the read-only user: %v", q.Name, err)
			continue
		}
		rows += len(res.Rows)
	}
	if rows == 0 {
		t.Error("no saved query returned a row")
	}
}

// givenFor gives q's required parameters values from real.
func givenFor(q query.Query, real map[string]string) map[string]string {
	given := map[string]string{}
	for _, p := range q.Params {
		if p.Required {
			given[p.Name] = real[p.Name]
		}
	}
	return given
}

// hostile are parameter values built to escape a string literal, to be
// substituted again, or to read as a placeholder.
func hostile(q query.Query, p query.Param) []string {
	vals := []string{
		`' OR 1=1 --`, `\' OR 1=1 OR '' = '`, `\\' OR 1=1 --`, "x'\n) OR (1=1", `?`, `$1`, `{a}`, "tab\there", `a\`, `ünïcödé ☃ '"`,
		` OR 1=1 OR listing_id = `, `'; DROP TABLE listing_obs; --`,
	}
	for _, o := range q.Params {
		if o.Name != p.Name {
			vals = append(vals, "@"+o.Name, "'@"+o.Name+"'")
		}
	}
	return vals
}

// TestPrintedSQLRunsTheSame runs, for every saved query, the SQL `query
// --sql` prints through clickhouse-client and compares its rows with what
// query.Run returns, with real values and with hostile ones in every
// string parameter (every other parameter at its default or a real value).
// Before, a value holding "@market" was substituted again in the printed
// SQL: listing-history printed a statement returning every listing while
// the query returned none.
func TestPrintedSQLRunsTheSame(t *testing.T) {
	db, real := analystDB(t)
	client, err := exec.LookPath("clickhouse-client")
	if err != nil {
		t.Skip("clickhouse-client not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if _, err := db.RefreshVendorClusters(ctx); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(testenv.ClickHouseAddr(t), ":")
	runs, nonEmpty := 0, 0
	// check runs the cases of one query through query.Run, and their
	// printed SQL, one after the other, through one clickhouse-client.
	check := func(q query.Query, cases []map[string]string) {
		t.Helper()
		var (
			script strings.Builder
			want   [][]string
			types  [][]string
		)
		for _, given := range cases {
			values, err := q.Values(given)
			if err != nil {
				t.Errorf("%s %v: %v", q.Name, given, err)
				return
			}
			res, err := query.Run(ctx, db.Conn(), q, given, 0)
			if err != nil {
				t.Errorf("%s %v: %v", q.Name, given, err)
				return
			}
			rows := make([]string, len(res.Rows))
			for i, row := range res.Rows {
				rows[i] = canonicalRow(row, res.Types)
			}
			want, types = append(want, rows), append(types, res.Types)
			script.WriteString(q.Literal(values))
		}
		cmd := exec.CommandContext(ctx, client, "--host", host, "--port", port, "--database", db.Database(),
			"--multiquery", "--format", "JSONCompact")
		cmd.Stdin = strings.NewReader(script.String())
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("%s: clickhouse-client: %v: %s\nSQL:\n%s", q.Name, err, stderr.String(), script.String())
			return
		}
		dec := json.NewDecoder(&out)
		for i, given := range cases {
			printed, err := clientRows(dec, types[i])
			if err != nil {
				t.Errorf("%s %v: %v", q.Name, given, err)
				return
			}
			runs++
			if len(want[i]) > 0 {
				nonEmpty++
			}
			if len(printed) != len(want[i]) {
				t.Errorf("%s %v: the printed SQL returns %d rows, query returns %d", q.Name, given, len(printed), len(want[i]))
				continue
			}
			for j := range printed {
				if printed[j] != want[i][j] {
					t.Errorf("%s %v: row %d differs:\nquery:   %s\nprinted: %s", q.Name, given, j, want[i][j], printed[j])
					break
				}
			}
		}
	}
	for _, q := range query.All() {
		cases := []map[string]string{givenFor(q, real)}
		for _, p := range q.Params {
			if p.Type != query.String || len(p.Choices) > 0 {
				continue
			}
			for _, v := range hostile(q, p) {
				given := givenFor(q, real)
				given[p.Name] = v
				cases = append(cases, given)
			}
		}
		if q.Name == "listing-history" {
			// The case the issue shows.
			cases = append(cases, map[string]string{"listing_id": "@market", "market": " OR 1=1 OR listing_id = "})
		}
		check(q, cases)
	}
	if nonEmpty < 10 {
		t.Errorf("only %d of %d runs returned rows; the comparison shows little", nonEmpty, runs)
	}
	t.Logf("%d runs compared, %d with rows", runs, nonEmpty)
}

// clientRows reads the next JSONCompact answer of clickhouse-client as
// canonical rows.
func clientRows(dec *json.Decoder, types []string) ([]string, error) {
	var doc struct {
		Data [][]json.RawMessage `json:"data"`
	}
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("reading clickhouse-client output: %w", err)
	}
	out := make([]string, len(doc.Data))
	for i, row := range doc.Data {
		cells := make([]string, len(row))
		for j, raw := range row {
			cells[j] = canonicalJSON(raw, types[j])
		}
		out[i] = strings.Join(cells, " | ")
	}
	return out, nil
}

// canonicalJSON renders one JSONCompact value of a column of type typ as
// canonicalValue renders the driver's.
func canonicalJSON(raw json.RawMessage, typ string) string {
	elem, isArray := strings.CutPrefix(typ, "Array(")
	if isArray {
		var xs []json.RawMessage
		if err := json.Unmarshal(raw, &xs); err != nil {
			return "!" + string(raw)
		}
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = canonicalJSON(x, strings.TrimSuffix(elem, ")"))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "!" + string(raw)
	}
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(typ, "Float") {
			f, err := strconv.ParseFloat(x, 64)
			if err == nil {
				return canonicalFloat(f)
			}
		}
		return x
	case json.Number:
		if strings.HasPrefix(typ, "Float") {
			f, _ := x.Float64()
			return canonicalFloat(f)
		}
		return x.String()
	case nil:
		return "NULL"
	}
	return fmt.Sprint(v)
}

// canonicalFloat renders a float; NaN reads "NULL", as clickhouse-client's
// JSON writes nan (a median of no prices) as null.
func canonicalFloat(f float64) string {
	if math.IsNaN(f) {
		return "NULL"
	}
	return strconv.FormatFloat(f, 'g', 10, 64)
}

// canonicalRow renders a row the driver scanned, column types in hand.
func canonicalRow(row []any, types []string) string {
	cells := make([]string, len(row))
	for i, v := range row {
		cells[i] = canonicalValue(v, types[i])
	}
	return strings.Join(cells, " | ")
}

func canonicalValue(v any, typ string) string {
	switch x := v.(type) {
	case time.Time:
		if typ == "Date" {
			return x.UTC().Format(time.DateOnly)
		}
		return x.UTC().Format(time.DateTime)
	case float64:
		return canonicalFloat(x)
	case float32:
		return canonicalFloat(float64(x))
	case string:
		return x
	}
	elem, isArray := strings.CutPrefix(typ, "Array(")
	if isArray {
		b, _ := json.Marshal(v)
		var xs []json.RawMessage
		_ = json.Unmarshal(b, &xs)
		parts := make([]string, len(xs))
		for i, x := range xs {
			var s any
			dec := json.NewDecoder(bytes.NewReader(x))
			dec.UseNumber()
			_ = dec.Decode(&s)
			switch y := s.(type) {
			case string:
				if strings.HasPrefix(elem, "DateTime") {
					if tm, err := time.Parse(time.RFC3339, y); err == nil {
						parts[i] = tm.UTC().Format(time.DateTime)
						continue
					}
				}
				parts[i] = y
			case json.Number:
				if strings.HasPrefix(elem, "Float") {
					f, _ := y.Float64()
					parts[i] = canonicalFloat(f)
				} else {
					parts[i] = y.String()
				}
			default:
				parts[i] = fmt.Sprint(y)
			}
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprint(v)
}
