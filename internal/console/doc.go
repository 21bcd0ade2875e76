// Package console is the investigators' web console: server-rendered pages
// (net/http, html/template) over the same ClickHouse, evidence store and
// export code as the command line. Every page is served over TLS with a
// strict Content-Security-Policy and no script at all; every route names
// the roles that may use it (routeTable), every POST must carry the
// session's CSRF token, and every sign-in, view of a vendor profile or
// case and export step is audited with the user.
//
// Queries go through internal/query (saved queries with query.Run, the
// console's own statements with query.Fetch), exactly as `counternet
// query` runs them.
package console
