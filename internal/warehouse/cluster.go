package warehouse

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// MigrateOptions change how migrations are applied.
type MigrateOptions struct {
	// Cluster is the name of a ClickHouse cluster (remote_servers in the
	// server config). Empty: a single server, statements as written. Set:
	// every statement is rendered for the cluster (see RenderCluster).
	Cluster string
	// Audit, when set, applies the migrations that change the audit
	// database (AuditDatabase): a connection as a user allowed both the
	// events and the audit database (ExporterUser on the managed server),
	// since the writer may not use the audit database. nil: the migrating
	// connection's own user, which then needs both.
	Audit *DB
	// NodeDSN, with Cluster set, is the DSN of the database on one node of
	// the cluster, given the node's native address (host:port as
	// system.clusters names it). With it, an ALTER of a replicated table
	// runs without ON CLUSTER on one replica of each shard it lives on
	// (replication brings it to the other replicas): ClickHouse 18.16's
	// distributed DDL races there, two replicas of a shard both executing
	// the ALTER, and the loser's DDL worker stops for good ("Node exists:
	// .../executed ... Terminating"), so every later ON CLUSTER statement
	// waits for it in vain. nil: every statement ON CLUSTER.
	NodeDSN func(addr string) string
}

// Where an ALTER of a replicated table is to run when MigrateOptions.NodeDSN
// is set (clusterRenderer.scopes).
const (
	scopeShard = "shard" // a sharded table's _local part: one replica of each shard
	scopeAll   = "all"   // a table with a full copy on every node: one node
)

// ErrCannotRender marks a migration statement the cluster renderer does not
// know how to turn into ON CLUSTER DDL.
var ErrCannotRender = errors.New("statement cannot be rendered for a cluster")

var (
	reCreateTable = regexp.MustCompile(`(?s)^CREATE TABLE IF NOT EXISTS ((?:\{audit\}\.)?[a-z_][a-z0-9_]*)\s*(\(.*\))\s*ENGINE = ([A-Za-z]*MergeTree)(?:\(([^)]*)\))?(.*)$`)
	reCreateView  = regexp.MustCompile(`(?s)^CREATE VIEW IF NOT EXISTS ([a-z_][a-z0-9_]*) AS\s(.*)$`)
	reCreateDB    = regexp.MustCompile(`^CREATE DATABASE IF NOT EXISTS (\{audit\})$`)
	reInsert      = regexp.MustCompile(`(?s)^INSERT INTO ((?:\{audit\}\.)?[a-z_][a-z0-9_]*)(\s.*\sSELECT\s.*)$`)
	reCreateMV    = regexp.MustCompile(`(?s)^CREATE MATERIALIZED VIEW IF NOT EXISTS ([a-z_][a-z0-9_]*) TO ([a-z_][a-z0-9_]*) AS\s(.*)$`)
	reCreateAs    = regexp.MustCompile(`(?s)^CREATE TABLE IF NOT EXISTS ([a-z_][a-z0-9_]*)\s+(ENGINE = [A-Za-z]*MergeTree.*?)\sAS SELECT\s(.*)$`)
	reDropTable   = regexp.MustCompile(`^DROP TABLE IF EXISTS ((?:\{audit\}\.)?[a-z_][a-z0-9_]*)$`)
	reAlterTable  = regexp.MustCompile(`(?s)^ALTER TABLE ([a-z_][a-z0-9_]*)\s(.*)$`)
	reOrderBy     = regexp.MustCompile(`(?s)ORDER BY \(([^)]*)\)`)
	// reTableRef is a table named after FROM or JOIN, and what tells it
	// from an ARRAY JOIN of a column or a table function.
	reTableRef = regexp.MustCompile(`(ARRAY\s+)?\b(FROM|JOIN)(\s+)([a-z_][a-z0-9_]*)\b(\s*\()?`)
)

// clusterRenderer renders statements for a cluster, remembering which
// tables it sharded so that later statements about them name both parts.
type clusterRenderer struct {
	cluster, database string
	sharded           map[string]bool
	known             map[string]bool // tables and views created so far
	replicated        map[string]bool // tables with a full copy on every node
	// scopes maps a rendered ALTER of a replicated table to where it may
	// run instead of ON CLUSTER (scopeShard or scopeAll).
	scopes map[string]string
}

// RenderCluster turns migration statements written for one server into DDL
// for a cluster named cluster, with tables in database:
//
//   - a table whose sort key holds event_id (an observation table) becomes
//     a ReplicatedMergeTree-family table <name>_local on every shard,
//     replicated within the shard, plus a Distributed table <name> over
//     them, sharded by sipHash64(event_id) so that the copies of one event
//     meet on one shard and still collapse;
//   - any other table (reference data, audit, clusters, schema_migrations)
//     becomes one replicated table with a full copy on every node;
//   - views, DROP and ALTER get ON CLUSTER; ALTER of a sharded table alters
//     <name>_local and makes the Distributed table again over it (18.16
//     cannot ALTER ON CLUSTER an unreplicated table on replicated shards);
//   - a materialized view gets ON CLUSTER and keeps reading the
//     Distributed table: an insert fires the view of the node it was sent
//     to, once, and the view writes into its target, a replicated table
//     with a full copy on every node;
//   - a table created and filled by CREATE TABLE ... AS SELECT (a
//     backfill) is created on every node, not replicated: each node fills
//     its own full copy from the Distributed tables, so no node holds the
//     rows twice.
//
// Views keep reading the same names, which are now the Distributed tables,
// named with their database: every node runs ON CLUSTER DDL in its default
// database, where an unqualified name in a view's query is not found, and
// a view reads its tables in the database of whoever queries it.
// It returns ErrCannotRender for any other statement.
func RenderCluster(stmts []string, cluster, database string) ([]string, error) {
	r := &clusterRenderer{cluster: cluster, database: database, sharded: map[string]bool{}}
	return r.render(stmts)
}

func (r *clusterRenderer) render(stmts []string) ([]string, error) {
	var out []string
	for _, s := range stmts {
		rs, err := r.one(s)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func (r *clusterRenderer) on() string { return " ON CLUSTER " + quoteIdent(r.cluster) }

// name is table with its database: the events database, or the audit
// database for a name AuditPlaceholder qualifies (the placeholder is
// replaced after rendering).
func (r *clusterRenderer) name(table string) string {
	if t, ok := strings.CutPrefix(table, AuditPlaceholder+"."); ok {
		return AuditPlaceholder + "." + quoteIdent(t)
	}
	return quoteIdent(r.database) + "." + quoteIdent(table)
}

// zkPath is the database and table part of a replicated table's path.
func (r *clusterRenderer) zkPath(table string) string {
	if t, ok := strings.CutPrefix(table, AuditPlaceholder+"."); ok {
		return AuditDatabase(r.database) + "/" + t
	}
	return r.database + "/" + table
}

func (r *clusterRenderer) one(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if r.known == nil {
		r.known = map[string]bool{}
	}
	if r.replicated == nil {
		r.replicated, r.scopes = map[string]bool{}, map[string]string{}
	}
	if m := reCreateAs.FindStringSubmatch(s); m != nil {
		r.known[m[1]] = true
		return []string{"CREATE TABLE IF NOT EXISTS " + r.name(m[1]) + r.on() + "\n" + m[2] + "\nAS SELECT\n" + r.qualify(m[3])}, nil
	}
	if m := reCreateMV.FindStringSubmatch(s); m != nil {
		r.known[m[1]] = true
		return []string{"CREATE MATERIALIZED VIEW IF NOT EXISTS " + r.name(m[1]) + r.on() + " TO " + r.name(m[2]) + " AS\n" + r.qualify(m[3])}, nil
	}
	if m := reCreateTable.FindStringSubmatch(s); m != nil {
		table, cols, engine, args, rest := m[1], m[2], m[3], m[4], m[5]
		r.known[table] = true
		key := reOrderBy.FindStringSubmatch(rest)
		if key != nil && containsWord(key[1], "event_id") {
			r.sharded[table] = true
			local := table + "_local"
			path := fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s', '{replica}'", r.database, local)
			if args != "" {
				path += ", " + args
			}
			return []string{
				"CREATE TABLE IF NOT EXISTS " + r.name(local) + r.on() + "\n" + cols + "\nENGINE = Replicated" + engine + "(" + path + ")" + rest,
				r.distributed(table),
			}, nil
		}
		r.replicated[table] = true
		path := fmt.Sprintf("'/clickhouse/tables/all/%s', '{replica}'", r.zkPath(table))
		if args != "" {
			path += ", " + args
		}
		return []string{"CREATE TABLE IF NOT EXISTS " + r.name(table) + r.on() + "\n" + cols + "\nENGINE = Replicated" + engine + "(" + path + ")" + rest}, nil
	}
	if m := reCreateView.FindStringSubmatch(s); m != nil {
		body := r.qualify(m[2])
		r.known[m[1]] = true
		return []string{"CREATE VIEW IF NOT EXISTS " + r.name(m[1]) + r.on() + " AS\n" + body}, nil
	}
	if m := reCreateDB.FindStringSubmatch(s); m != nil {
		return []string{"CREATE DATABASE IF NOT EXISTS " + m[1] + r.on()}, nil
	}
	if m := reInsert.FindStringSubmatch(s); m != nil {
		// A copy between replicated tables runs once, on the node the
		// migrator is connected to; replication brings it to the others.
		return []string{"INSERT INTO " + r.name(m[1]) + r.qualify(m[2])}, nil
	}
	if m := reDropTable.FindStringSubmatch(s); m != nil {
		return []string{"DROP TABLE IF EXISTS " + r.name(m[1]) + r.on()}, nil
	}
	if m := reAlterTable.FindStringSubmatch(s); m != nil {
		if r.sharded[m[1]] {
			// ClickHouse 18.16 refuses ALTER ... ON CLUSTER of a table that
			// is not replicated on a cluster whose shards are ("Table x isn't
			// replicated, but shard #1 is replicated according to its
			// cluster definition"): the Distributed table, which holds no
			// data of its own, is made again over the altered local table.
			alter := "ALTER TABLE " + r.name(m[1]+"_local") + r.on() + " " + m[2]
			r.scopes[alter] = scopeShard
			return []string{
				alter,
				"DROP TABLE IF EXISTS " + r.name(m[1]) + r.on(),
				r.distributed(m[1]),
			}, nil
		}
		alter := "ALTER TABLE " + r.name(m[1]) + r.on() + " " + m[2]
		if r.replicated[m[1]] {
			r.scopes[alter] = scopeAll
		}
		return []string{alter}, nil
	}
	first, _, _ := strings.Cut(s, "\n")
	return nil, fmt.Errorf("%w: %s", ErrCannotRender, first)
}

// distributed is the Distributed table over the shards' table_local.
func (r *clusterRenderer) distributed(table string) string {
	local := table + "_local"
	return "CREATE TABLE IF NOT EXISTS " + r.name(table) + r.on() + " AS " + r.name(local) +
		"\nENGINE = Distributed(" + quoteIdent(r.cluster) + ", " + quoteIdent(r.database) + ", " + quoteIdent(local) + ", sipHash64(event_id))"
}

// qualify names the database of every table or view the migrations
// created that query reads (after FROM or JOIN); ARRAY JOIN of a column
// and table functions are left as they are. currentDatabase() becomes the
// database's name: ON CLUSTER DDL runs in each node's default database (a
// backfill asking system.tables when its materialized view was created
// would find none there and copy nothing), and a view may be asked from
// another database than the one whose tables it reads.
func (r *clusterRenderer) qualify(query string) string {
	query = strings.ReplaceAll(query, "currentDatabase()", quoteString(r.database))
	return reTableRef.ReplaceAllStringFunc(query, func(ref string) string {
		m := reTableRef.FindStringSubmatch(ref)
		if m[1] != "" || m[5] != "" || !r.known[m[4]] {
			return ref
		}
		return m[2] + m[3] + r.name(m[4])
	})
}

// containsWord reports whether the comma separated list holds word.
func containsWord(list, word string) bool {
	for part := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(part) == word {
			return true
		}
	}
	return false
}

// quoteString is s as a ClickHouse string literal.
func quoteString(s string) string {
	return "'" + strings.NewReplacer("\\", "\\\\", "'", "\\'").Replace(s) + "'"
}
