package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestQueryCommandPointedAtNothing checks what an analyst sees from
// `counternet query` on a data dir that holds no warehouse: an error naming
// the data dir and the variables that point elsewhere, exit 1, nothing
// created (it used to start an empty ClickHouse and print "(0 rows)").
func TestQueryCommandPointedAtNothing(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("COUNTERNET_DATA_DIR", dir)
	t.Setenv("COUNTERNET_CLICKHOUSE_DSN", "")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"query", "top-routes"}, &out, &errOut)
	if code != 1 || out.Len() != 0 {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out.String())
	}
	for _, want := range []string{dir, "COUNTERNET_CLICKHOUSE_DSN", "COUNTERNET_DATA_DIR", "counternet migrate"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, errOut.String())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("query created %v in the data dir", entries)
	}
}

// TestQueryCommandParams checks the parameter errors and the printed SQL
// of the command, which need no server.
func TestQueryCommandParams(t *testing.T) {
	t.Setenv("COUNTERNET_DATA_DIR", t.TempDir())
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"query", "vendor-profile"}, 1, "vendor-profile needs --param handle="},
		{[]string{"query", "forum-mentions", "--param", "handle="}, 1, "forum-mentions needs --param handle="},
		{[]string{"query", "top-routes", "--param", "days=9223372036854775807"}, 1, "want an integer from 1 to 36500"},
		{[]string{"query", "listing-history", "--sql", "--param", "listing_id=@market", "--param", "market= OR 1=1 OR listing_id = "}, 0,
			"WHERE source = ' OR 1=1 OR listing_id = ' AND listing_id = '@market'\nORDER BY observed_at;\n"},
		{[]string{"query", "--list"}, 0, "vendor handle (string, required)"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errOut)
		if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s\nwant exit %d and %q", tc.args, code, out.String(), errOut.String(), tc.code, tc.want)
		}
	}
}
