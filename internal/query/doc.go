// Package query holds counternet's saved queries: named SQL texts for the
// questions analysts ask first, each with typed parameters (required ones
// required, integers bounded) and a description. Statement substitutes the
// parameters as quoted SQL literals in one pass over the SQL, so a value is
// never read as SQL or as another parameter; Run sends exactly that
// statement, and Literal prints it for clickhouse-client. The queries only
// read, and run as a read-only ClickHouse user; vendor-clusters recomputes
// its table first where the user may write (PrepareClusters). Results come
// back as generic rows and print as a table (every value in full), CSV or
// JSON.
package query
