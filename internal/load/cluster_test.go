package load_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/stack"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// TestClusterLoad runs the scale-out path for real: a 2-shard x 2-replica
// ClickHouse 18.16 cluster with zookeeper on loopback, the migrations
// applied ON CLUSTER as `counternet` does with clickhouse.cluster set, the
// reference data and the events loaded through the loader, one replica
// stopped in the middle of the load and started again after it. Every
// event table then holds exactly what one server loaded with the same
// events holds, every view answers as it does on that server, and each
// replica holds what its partner holds.
func TestClusterLoad(t *testing.T) {
	began := time.Now()
	cl := testenv.StartClickHouseCluster(t, 2, 2)
	t.Logf("cluster of %d nodes and zookeeper up in %s", len(cl.Nodes()), time.Since(began).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	ev := makeClusterEvents(t, 30_000, 5)
	total := uint64(len(ev.msgs))
	t.Logf("%d messages: %v distinct events by type, each published twice", total, ev.counts)

	// The warehouse on the cluster, as stack.openWarehouse opens it with
	// clickhouse.cluster set, through a DSN naming every node. Inserts into
	// the Distributed tables are synchronous: a batch is acked only once
	// its rows are on a replica of every shard they go to.
	const database = "cn"
	dsn := stack.WithClusterSettings(cl.DSN(database), testenv.ClusterName)
	cdb, err := warehouse.Open(ctx, dsn, log)
	if err != nil {
		t.Fatal(err)
	}
	defer cdb.Close()
	mstart := time.Now()
	if err := cdb.MigrateWith(ctx, warehouse.MigrateOptions{Cluster: testenv.ClusterName, NodeDSN: stack.NodeDSN(dsn)}); err != nil {
		t.Fatal(err)
	}
	t.Logf("migrations applied ON CLUSTER in %s", time.Since(mstart).Round(time.Millisecond))
	single := testenv.ClickHouse(t)
	ref, err := reference.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, db := range []*warehouse.DB{single, cdb} {
		if _, err := db.LoadReference(ctx, ref); err != nil {
			t.Fatalf("%s: %v", db.Database(), err)
		}
	}

	c := connectBus(t, testenv.NATS(t))
	publish(t, c, ev.msgs)
	opts := load.Options{BatchSize: 2000, FlushInterval: 100 * time.Millisecond, FetchMax: 2000, RetryMax: time.Second}
	consOne, err := c.Consumer(ctx, bus.ConsumerOptions{Durable: "single", MaxAckPending: 20_000, AckWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	lstart := time.Now()
	if err := newLoader(c, single, consOne, opts, log).RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded into one server in %s", time.Since(lstart).Round(time.Millisecond))

	// The cluster's load, with the first node stopped in the middle of it:
	// the one every connection of the loader goes to while it is up.
	stopped := cl.Nodes()[0]
	consCl, err := c.Consumer(ctx, bus.ConsumerOptions{Durable: "cluster", MaxAckPending: 20_000, AckWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ld := newLoader(c, cdb, consCl, opts, log)
	lctx, stopLoader := context.WithCancel(ctx)
	done := make(chan error, 1)
	lstart = time.Now()
	go func() { done <- ld.Run(lctx) }()
	defer func() { stopLoader(); <-done }()
	waitAcked(ctx, t, consCl, total/5, done)
	cl.StopNode(stopped)
	at := consumerInfo(t, consCl).AckFloor.Stream
	t.Logf("replica %s stopped with %d of %d messages acked", stopped.Name(), at, total)
	if at >= total {
		t.Fatalf("the load was over before replica %s stopped: the test shows nothing", stopped.Name())
	}
	waitAcked(ctx, t, consCl, total, done)
	t.Logf("loaded into the cluster in %s (%d retries)", time.Since(lstart).Round(time.Millisecond), ld.Stats().Retries)
	if st := ld.Stats(); st.DeadLetters != 0 {
		t.Errorf("cluster load dead-lettered %d messages", st.DeadLetters)
	}

	// With the replica still down, a node of the other replicas answers.
	check := openNode(ctx, t, cl.Nodes()[1], database, log)
	compareTables(ctx, t, single, check)
	cl.StartNode(stopped)
	syncReplicas(ctx, t, cl, database)
	// The loader's merge of the past months of routes_ids (as of a year
	// from now, every month is past) runs on the cluster as on one server.
	for _, db := range []*warehouse.DB{single, cdb} {
		months, err := db.Compact(ctx, time.Now().AddDate(1, 0, 0))
		if err != nil {
			t.Fatalf("%s: %v", db.Database(), err)
		}
		t.Logf("%s: Compact merged %d months", db.Database(), len(months))
	}
	// Views read the tables without FINAL: duplicates count until a merge
	// collapses them, so both sides are merged before they are compared.
	optimize(ctx, t, single, "")
	for _, n := range cl.Nodes() {
		optimize(ctx, t, openNode(ctx, t, n, database, log), "_local")
	}
	syncReplicas(ctx, t, cl, database)
	// Through the replica that was stopped and one of the other shard.
	for _, n := range []*testenv.CHNode{stopped, cl.Nodes()[3]} {
		db := openNode(ctx, t, n, database, log)
		t.Run("views via "+n.Name(), func(t *testing.T) { compareViews(ctx, t, single, db) })
	}
	compareReplicas(ctx, t, cl, database, log)

	// Vendor clusters are refreshed by TRUNCATE ON CLUSTER and an insert.
	for _, db := range []*warehouse.DB{single, cdb} {
		if _, err := db.RefreshVendorClusters(ctx); err != nil {
			t.Fatalf("%s: %v", db.Database(), err)
		}
	}
	compareRows(ctx, t, "vendor_clusters", single, check, "SELECT cluster_id, source, handle, size, links, markets FROM vendor_clusters")
	t.Logf("TestClusterLoad took %s", time.Since(began).Round(time.Millisecond))
}

// openNode opens database on node n alone.
func openNode(ctx context.Context, t *testing.T, n *testenv.CHNode, database string, log zerolog.Logger) *warehouse.DB {
	t.Helper()
	db, err := warehouse.Open(ctx, "clickhouse://"+n.Addr()+"/"+database, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// waitAcked waits until the consumer's ack floor reaches n.
func waitAcked(ctx context.Context, t *testing.T, cons jetstream.Consumer, n uint64, loader <-chan error) {
	t.Helper()
	for consumerInfo(t, cons).AckFloor.Stream < n {
		select {
		case err := <-loader:
			t.Fatalf("loader ended before %d messages were acked: %v", n, err)
		case <-ctx.Done():
			t.Fatalf("%d messages not acked: %v (ack floor %d)", n, ctx.Err(), consumerInfo(t, cons).AckFloor.Stream)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// eventTables are the tables the loader writes, each with the columns that
// identify a row after collapsing.
var eventTables = []string{"listing_obs", "vendor_obs", "post_obs", "thread_obs", "captures", "runs", "dead_letters"}

// compareTables checks that every event table holds on b exactly the rows
// it holds on a after collapsing: the same count and the same event ids.
func compareTables(ctx context.Context, t *testing.T, a, b *warehouse.DB) {
	t.Helper()
	for _, table := range eventTables {
		q := "SELECT count(), uniqExact(event_id), sum(cityHash64(event_id)) FROM " + table + " FINAL"
		if table == "dead_letters" {
			q = "SELECT count(), toUInt64(0), toUInt64(0) FROM dead_letters"
		}
		var want, got [3]uint64
		if err := a.Conn().QueryRow(ctx, q).Scan(&want[0], &want[1], &want[2]); err != nil {
			t.Fatalf("%s on one server: %v", table, err)
		}
		if err := b.Conn().QueryRow(ctx, q).Scan(&got[0], &got[1], &got[2]); err != nil {
			t.Fatalf("%s on the cluster: %v", table, err)
		}
		t.Logf("%s: %d rows after collapsing on one server, %d on the cluster", table, want[0], got[0])
		if got != want {
			t.Errorf("%s: cluster has %d rows, %d distinct ids, checksum %d; one server %d, %d, %d",
				table, got[0], got[1], got[2], want[0], want[1], want[2])
		}
	}
}

// optimize merges every sharded event table of db (table+suffix) to one
// part per partition, collapsing duplicates.
func optimize(ctx context.Context, t *testing.T, db *warehouse.DB, suffix string) {
	t.Helper()
	for _, table := range eventTables {
		if table == "dead_letters" {
			continue
		}
		if err := db.Conn().Exec(ctx, "OPTIMIZE TABLE "+table+suffix+" FINAL"); err != nil {
			t.Fatalf("optimizing %s%s: %v", table, suffix, err)
		}
	}
}

// clusterViewBugs are views known to fail on a cluster, with the reason.
// The test checks that each still fails, so that one fixed is taken off
// the list and checked like the others.
// None today: jurisdiction_exposure, which failed with "Cannot convert
// column latest" (a scalar subquery over Distributed tables), answers since
// migration 0071.
var clusterViewBugs = map[string]string{}

// compareViews checks that every view of a answers on b with the same rows.
func compareViews(ctx context.Context, t *testing.T, a, b *warehouse.DB) {
	t.Helper()
	rows, err := a.Conn().Query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'View' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	var views []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		views = append(views, v)
	}
	rows.Close()
	if len(views) < 20 {
		t.Fatalf("only %d views on one server: %v", len(views), views)
	}
	empty := 0
	for _, v := range views {
		if bug, ok := clusterViewBugs[v]; ok {
			_, err := renderRows(ctx, b, "SELECT * FROM "+v)
			if err == nil || !strings.Contains(err.Error(), bug) {
				t.Errorf("%s, listed as failing on a cluster with %q, answers with error %v: take it off clusterViewBugs", v, bug, err)
			} else {
				t.Logf("%s still fails on the cluster (known): %v", v, err)
			}
			continue
		}
		if n := compareRows(ctx, t, v, a, b, "SELECT * FROM "+v); n == 0 {
			empty++
		}
	}
	t.Logf("%d views compared, %d of them empty on both", len(views), empty)
}

// maxCompareRows bounds the rows of one query compareRows reads.
const maxCompareRows = 2_000_000

// compareRows runs q on a and b and checks that both return the same rows
// in any order; floats are compared to 9 significant digits (sums add up
// in another order across shards). It returns the number of rows.
func compareRows(ctx context.Context, t *testing.T, name string, a, b *warehouse.DB, q string) int {
	t.Helper()
	want, err := renderRows(ctx, a, q)
	if err != nil {
		t.Errorf("%s on one server: %v", name, err)
		return 0
	}
	got, err := renderRows(ctx, b, q)
	if err != nil {
		t.Errorf("%s on the cluster: %v", name, err)
		return 0
	}
	if !slices.Equal(got, want) {
		diff := 0
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				diff = i
				break
			}
		}
		show := func(rs []string) string {
			if diff < len(rs) {
				return rs[diff]
			}
			return "(none)"
		}
		t.Errorf("%s: the cluster answers %d rows, one server %d; first difference at row %d:\n cluster: %s\n one:     %s",
			name, len(got), len(want), diff, show(got), show(want))
	}
	return len(want)
}

func renderRows(ctx context.Context, db *warehouse.DB, q string) ([]string, error) {
	rows, err := db.Conn().Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		if len(out) >= maxCompareRows {
			return nil, fmt.Errorf("more than %d rows", maxCompareRows)
		}
		vals := make([]any, len(rows.ColumnTypes()))
		for i, ct := range rows.ColumnTypes() {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			return nil, err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = renderValue(reflect.ValueOf(v).Elem().Interface())
		}
		out = append(out, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

func renderValue(v any) string {
	switch x := v.(type) {
	case float64:
		return roundFloat(x)
	case float32:
		return roundFloat(float64(x))
	case *float64:
		if x == nil {
			return "NULL"
		}
		return roundFloat(*x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []string:
		return "[" + strings.Join(x, ",") + "]"
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "NULL"
		}
		return renderValue(rv.Elem().Interface())
	}
	if rv.Kind() == reflect.Slice {
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = renderValue(rv.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprint(v)
}

func roundFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Sprint(f)
	}
	return fmt.Sprintf("%.9g", f)
}

// syncReplicas waits until every replicated table of database on every
// node has fetched what its zookeeper log holds.
func syncReplicas(ctx context.Context, t *testing.T, cl *testenv.ClickHouseCluster, database string) {
	t.Helper()
	start := time.Now()
	for _, n := range cl.Nodes() {
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{n.Addr()}})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := conn.Query(ctx, "SELECT table FROM system.replicas WHERE database = ?", database)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			tables = append(tables, s)
		}
		rows.Close()
		for _, table := range tables {
			if err := conn.Exec(ctx, "SYSTEM SYNC REPLICA "+database+"."+table); err != nil {
				t.Fatalf("%s: syncing %s: %v", n.Name(), table, err)
			}
		}
		conn.Close()
	}
	t.Logf("replicas in sync after %s", time.Since(start).Round(time.Millisecond))
}

// compareReplicas checks that the two replicas of each shard hold the same
// rows of every sharded table, and that the shards together hold exactly
// what the Distributed table shows.
func compareReplicas(ctx context.Context, t *testing.T, cl *testenv.ClickHouseCluster, database string, log zerolog.Logger) {
	t.Helper()
	for _, table := range eventTables {
		var sum [2]uint64 // rows after collapsing, over the first replica of each shard
		byShard := map[int][2]uint64{}
		for _, n := range cl.Nodes() {
			db := openNode(ctx, t, n, database, log)
			var cnt, hash uint64
			q := "SELECT count(), sum(cityHash64(event_id)) FROM " + table + "_local FINAL"
			if table == "dead_letters" {
				continue
			}
			if err := db.Conn().QueryRow(ctx, q).Scan(&cnt, &hash); err != nil {
				t.Fatalf("%s on %s: %v", table, n.Name(), err)
			}
			if prev, ok := byShard[n.Shard]; ok {
				if prev != [2]uint64{cnt, hash} {
					t.Errorf("%s_local: replica %s holds %d rows (checksum %d), its partner %d (%d)", table, n.Name(), cnt, hash, prev[0], prev[1])
				}
				continue
			}
			byShard[n.Shard] = [2]uint64{cnt, hash}
			sum[0] += cnt
			sum[1] += hash
		}
		if table == "dead_letters" {
			continue
		}
		var all [2]uint64
		db := openNode(ctx, t, cl.Nodes()[0], database, log)
		if err := db.Conn().QueryRow(ctx, "SELECT count(), sum(cityHash64(event_id)) FROM "+table+" FINAL").Scan(&all[0], &all[1]); err != nil {
			t.Fatal(err)
		}
		if sum != all {
			t.Errorf("%s: shards hold %d rows together, the Distributed table shows %d", table, sum[0], all[0])
		}
		t.Logf("%s: shards hold %d and %d rows after collapsing", table, byShard[1][0], byShard[2][0])
	}
}
