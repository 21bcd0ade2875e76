// Package warehouse is counternet's ClickHouse side: it starts a managed
// local clickhouse-server (the one-machine default), opens a database by
// DSN, applies the versioned schema migrations embedded from migrations/,
// writes batches of bus events into the observation tables, and answers the
// summary queries the demo prints. It also loads the reference data
// (LoadReference), records export attempts (RecordExport), computes vendor
// identity clusters (RefreshVendorClusters), renders the schema for a
// cluster (MigrateWith, RenderCluster), generates docs/schema.md from the
// migrations' comments (SchemaDoc). Synthetic observations for benchmarks
// come from package synth.
//
// The schema and every query run on Debian's ClickHouse 18.16 and on current
// releases, over the native protocol only (clickhouse-go's HTTP transport
// does not work with 18.16). Observation tables are ReplacingMergeTree tables
// whose sort key ends in the deterministic event id, so a retried insert of
// the same events collapses; queries that must be exact before a merge use
// FINAL, GROUP BY event_id or the *_current views. The column meanings are
// documented in the migration files themselves, and gathered in
// docs/schema.md.
package warehouse
