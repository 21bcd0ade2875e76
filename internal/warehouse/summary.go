package warehouse

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
)

// Summary is what the demo prints about a database: row counts without
// duplicates, the busiest routes and the vendors with the most listings.
type Summary struct {
	Database   string
	Tables     []TableCount
	TopRoutes  []RouteCount
	TopVendors []VendorCount
}

// TableCount is the number of distinct rows of one table or view.
type TableCount struct {
	Name string
	Rows uint64
}

// RouteCount is the number of distinct listings ever offered from one
// country to another, and of those how many on each basis of the
// destination: named on the page, covered by a region it names, covered
// by a worldwide term. (A listing stored before bases were kept counts in
// Listings only.)
type RouteCount struct {
	ShipsFrom string // "" when the origin is unknown
	ShipsTo   string
	Listings  uint64
	Explicit  uint64
	Region    uint64
	Worldwide uint64
}

// VendorCount is one vendor handle's current listings and the number of
// markets it has them on.
type VendorCount struct {
	Vendor   string
	Markets  uint64
	Listings uint64
}

// summaryTables are counted in this order; observation tables with FINAL so
// that duplicates of an event count once.
var summaryTables = []struct{ name, query string }{
	{"listing_obs", "SELECT count() FROM listing_obs FINAL"},
	{"vendor_obs", "SELECT count() FROM vendor_obs FINAL"},
	{"captures", "SELECT count() FROM captures FINAL"},
	{"runs", "SELECT count() FROM runs FINAL"},
	{"post_obs", "SELECT count() FROM post_obs FINAL"},
	{"thread_obs", "SELECT count() FROM thread_obs FINAL"},
	{"listing_current", "SELECT count() FROM listing_current"},
	{"vendor_current", "SELECT count() FROM vendor_current"},
	{"vendor_links", "SELECT count() FROM vendor_links"},
}

// topRoutesQuery counts distinct listings per route over all time, by the
// basis of the destination. It reads listing_destinations rather than
// summing the weekly routes view, which would count a listing once per
// week it was seen.
const topRoutesQuery = `SELECT ships_from, destination, uniqExact(source, listing_id) AS listings,
    uniqExactIf(source, listing_id, basis = 'explicit') AS explicit,
    uniqExactIf(source, listing_id, basis = 'region') AS region,
    uniqExactIf(source, listing_id, basis = 'worldwide') AS worldwide
FROM listing_destinations
GROUP BY ships_from, destination
ORDER BY listings DESC, ships_from, destination
LIMIT 10`

const topVendorsQuery = `SELECT vendor, uniqExact(source) AS markets, count() AS listings
FROM listing_current
WHERE vendor != ''
GROUP BY vendor
ORDER BY listings DESC, vendor
LIMIT 10`

// Summary counts rows per table and view and finds the top 10 routes and
// vendors.
func (db *DB) Summary(ctx context.Context) (*Summary, error) {
	s := &Summary{Database: db.database}
	for _, t := range summaryTables {
		var n uint64
		if err := db.conn.QueryRow(ctx, t.query).Scan(&n); err != nil {
			return nil, fmt.Errorf("summarizing %s: counting %s: %w", db.database, t.name, err)
		}
		s.Tables = append(s.Tables, TableCount{Name: t.name, Rows: n})
	}
	rows, err := db.conn.Query(ctx, topRoutesQuery)
	if err != nil {
		return nil, fmt.Errorf("summarizing %s: querying routes: %w", db.database, err)
	}
	for rows.Next() {
		var r RouteCount
		if err := rows.Scan(&r.ShipsFrom, &r.ShipsTo, &r.Listings, &r.Explicit, &r.Region, &r.Worldwide); err != nil {
			rows.Close()
			return nil, fmt.Errorf("summarizing %s: reading routes: %w", db.database, err)
		}
		s.TopRoutes = append(s.TopRoutes, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("summarizing %s: reading routes: %w", db.database, err)
	}
	rows, err = db.conn.Query(ctx, topVendorsQuery)
	if err != nil {
		return nil, fmt.Errorf("summarizing %s: querying vendors: %w", db.database, err)
	}
	for rows.Next() {
		var v VendorCount
		if err := rows.Scan(&v.Vendor, &v.Markets, &v.Listings); err != nil {
			rows.Close()
			return nil, fmt.Errorf("summarizing %s: reading vendors: %w", db.database, err)
		}
		s.TopVendors = append(s.TopVendors, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("summarizing %s: reading vendors: %w", db.database, err)
	}
	return s, nil
}

// CountListings is the number of distinct listings, (source, listing_id)
// pairs, ever observed: the rows of listing_current.
func (db *DB) CountListings(ctx context.Context) (int, error) {
	var n uint64
	if err := db.conn.QueryRow(ctx, "SELECT uniqExact(source, listing_id) FROM listing_obs").Scan(&n); err != nil {
		return 0, fmt.Errorf("counting listings in %s: %w", db.database, err)
	}
	return int(n), nil
}

// Print writes the summary as fixed-width tables.
func (s *Summary) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "warehouse %s\n\n", s.Database)
	fmt.Fprintln(tw, "TABLE\tROWS")
	for _, t := range s.Tables {
		fmt.Fprintf(tw, "%s\t%d\n", t.Name, t.Rows)
	}
	fmt.Fprintln(tw, "\nTOP ROUTES (all time)")
	if len(s.TopRoutes) == 0 {
		fmt.Fprintln(tw, "(none)")
	} else {
		fmt.Fprintln(tw, "FROM\tTO\tLISTINGS\tNAMED\tREGION\tWORLDWIDE")
		for _, r := range s.TopRoutes {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", cell(r.ShipsFrom), cell(r.ShipsTo), r.Listings, r.Explicit, r.Region, r.Worldwide)
		}
	}
	fmt.Fprintln(tw, "\nTOP VENDORS (current listings)")
	if len(s.TopVendors) == 0 {
		fmt.Fprintln(tw, "(none)")
	} else {
		fmt.Fprintln(tw, "VENDOR\tMARKETS\tLISTINGS")
		for _, v := range s.TopVendors {
			fmt.Fprintf(tw, "%s\t%d\t%d\n", cell(v.Vendor), v.Markets, v.Listings)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("printing summary: %w", err)
	}
	return nil
}

// maxCell bounds the width of a printed value.
const maxCell = 40

// cell makes scraped text safe for a summary table cell.
func cell(s string) string { return Cell(s, maxCell) }

// Cell makes scraped text safe for a table cell: control characters (tabs,
// newlines, escapes) become spaces, text longer than width runes is cut
// with an ellipsis, and empty shows as "-".
func Cell(s string, width int) string {
	if s == "" {
		return "-"
	}
	r := []rune(strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)))
	if len(r) > width {
		r = append(r[:width-1], '…')
	}
	return string(r)
}

// CountListingsOfRuns is the number of distinct listings observed by the
// given crawl runs: what one collection loaded.
func (db *DB) CountListingsOfRuns(ctx context.Context, runIDs []string) (int, error) {
	if len(runIDs) == 0 {
		return 0, nil
	}
	var n uint64
	err := db.conn.QueryRow(ctx, "SELECT uniqExact(source, listing_id) FROM listing_obs WHERE has(?, run_id)", runIDs).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting listings of runs in %s: %w", db.database, err)
	}
	return int(n), nil
}
