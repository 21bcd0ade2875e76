package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/worldmap"
)

var reCountry = regexp.MustCompile(`^[A-Z]{2}$`)

type routeRow struct {
	From, To                                       string
	Listings, Explicit, Region, Worldwide, Vendors uint64
}

type routesData struct {
	From, To, Category, Basis string
	Days                      int
	Rows                      []routeRow
	Truncated                 bool
	// Map is the SVG of the routes (internal/worldmap: no reference
	// outside itself, no script, no style sheet).
	Map template.HTML
}

const sqlRoutes = `SELECT ships_from AS origin, destination, uniqExact(source, listing_id) AS listings,
    uniqExactIf(source, listing_id, basis = 'explicit') AS explicit,
    uniqExactIf(source, listing_id, basis = 'region') AS region,
    uniqExactIf(source, listing_id, basis = 'worldwide') AS worldwide,
    uniqExact(source, vendor) AS vendors
FROM listing_destinations
WHERE observed_at >= toDateTime(greatest(toInt64(toUnixTimestamp(now())) - toInt64(?) * 86400, toInt64(0)))
    AND (? = '' OR ships_from = ?) AND (? = '' OR destination = ?)
    AND (? = '' OR positionCaseInsensitive(category, ?) > 0 OR positionCaseInsensitive(category_raw, ?) > 0)
    AND (? = 'any' OR basis = ?)
    AND ships_from != ''
GROUP BY origin, destination
ORDER BY listings DESC, origin, destination
LIMIT 301`

// parseRoutes reads the routes page's filters: from and to (alpha-2, either
// may be empty), category text, days (1 to 36500) and basis.
func parseRoutes(r *http.Request) (routesData, error) {
	q := r.URL.Query()
	d := routesData{From: strings.ToUpper(strings.TrimSpace(q.Get("from"))), To: strings.ToUpper(strings.TrimSpace(q.Get("to"))),
		Category: strings.TrimSpace(q.Get("category")), Basis: q.Get("basis"), Days: 365}
	for _, c := range []string{d.From, d.To} {
		if c != "" && !reCountry.MatchString(c) {
			return d, fmt.Errorf("%q is not an ISO 3166-1 alpha-2 code like DE", c)
		}
	}
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 36500 {
			return d, fmt.Errorf("days %q: want a whole number from 1 to 36500", v)
		}
		d.Days = n
	}
	if len(d.Category) > 100 {
		return d, fmt.Errorf("category: longer than 100 characters")
	}
	switch d.Basis {
	case "":
		d.Basis = "any"
	case "any", "explicit", "region", "worldwide":
	default:
		return d, fmt.Errorf("basis %q: want any, explicit, region or worldwide", d.Basis)
	}
	return d, nil
}

// routes shows the routes from an origin or into a destination (or all),
// filtered by category, time and basis.
func (s *Server) routesPage(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	d, err := parseRoutes(r)
	if err != nil {
		s.fail(w, r, sess, http.StatusBadRequest, err.Error())
		return
	}
	res, err := s.fetch(r.Context(), 300, sqlRoutes, d.Days, d.From, d.From, d.To, d.To, d.Category, d.Category, d.Category, d.Basis, d.Basis)
	if err != nil {
		s.failErr(w, r, sess, "reading routes", err)
		return
	}
	d.Truncated = res.Truncated
	for _, row := range res.Rows {
		d.Rows = append(d.Rows, routeRow{From: str(row[0]), To: str(row[1]), Listings: u64(row[2]), Explicit: u64(row[3]),
			Region: u64(row[4]), Worldwide: u64(row[5]), Vendors: u64(row[6])})
	}
	var notes []string
	if d.Truncated {
		notes = append(notes, "Only the 300 busiest routes are shown.")
	}
	svg, mapNotes, err := routesMap(d)
	if err != nil {
		s.failErr(w, r, sess, "drawing the routes map", err)
		return
	}
	d.Map = svg
	s.render(w, r, sess, "routes", "Routes", d, append(notes, mapNotes...)...)
}

// mapCodes are the countries the world map can draw.
var mapCodes = func() map[string]bool {
	cs, err := worldmap.Countries()
	m := map[string]bool{}
	if err != nil {
		return m // the map then draws nothing and says so
	}
	for _, c := range cs {
		m[c.Code] = true
	}
	return m
}()

// routesMap draws the routes as arcs by basis. What the map cannot draw (a
// code it does not know, listings of rows stored before bases were kept)
// is said in the notes, not dropped silently; the table shows every row.
func routesMap(d routesData) (template.HTML, []string, error) {
	m := worldmap.Map{Title: "Routes", Fit: d.From != "" || d.To != ""}
	for _, c := range []string{d.From, d.To} {
		if c != "" && mapCodes[c] {
			m.Highlight = append(m.Highlight, c)
		}
	}
	var unknown []string
	var noBasis uint64
	for _, r := range d.Rows {
		if !mapCodes[r.From] || !mapCodes[r.To] {
			unknown = append(unknown, r.From+"→"+r.To)
			continue
		}
		for _, f := range []struct {
			basis string
			n     uint64
		}{{"explicit", r.Explicit}, {"region", r.Region}, {"worldwide", r.Worldwide}} {
			if f.n > 0 {
				m.Flows = append(m.Flows, worldmap.Flow{From: r.From, To: r.To, Count: int(min(f.n, 1<<30)), Basis: f.basis})
			}
		}
		if r.Listings > r.Explicit+r.Region+r.Worldwide {
			noBasis += r.Listings - r.Explicit - r.Region - r.Worldwide
		}
	}
	if d.From != "" {
		m.Title = "Routes from " + d.From
	}
	if d.To != "" {
		m.Title = "Routes into " + d.To
	}
	var buf bytes.Buffer
	if err := worldmap.Render(&buf, m); err != nil {
		return "", nil, err
	}
	var notes []string
	if len(unknown) > 0 {
		notes = append(notes, fmt.Sprintf("Not on the map (a code the map does not know): %s.", joinNonEmpty(unknown)))
	}
	if noBasis > 0 {
		notes = append(notes, fmt.Sprintf("%d listing destinations stored before bases were kept are in the table only.", noBasis))
	}
	return template.HTML(buf.String()), notes, nil
}
