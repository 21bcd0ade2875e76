// Package query holds counternet's saved queries: named SQL texts for the
// questions analysts ask first, each with typed parameters and a
// description. Parameters are bound by the clickhouse-go driver (named
// @param placeholders), never concatenated into the SQL; Literal renders a
// query with its values as SQL literals for pasting into clickhouse-client.
// Results come back as generic rows and print as a table, CSV or JSON.
package query
