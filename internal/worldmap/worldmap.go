// Package worldmap draws an offline SVG world map of trafficking routes:
// arcs between country centroids, as wide as their count, styled by the
// basis of the destination (explicit, region, worldwide), over country
// outlines embedded in the binary. The SVG references nothing outside
// itself (no URL, no url(#id), no stylesheet, no script), so a page that
// shows it makes no request for it and needs no CSP exception.
//
// The outlines are Natural Earth 1:110m admin-0 countries (public domain,
// naturalearthdata.com) from the npm package world-atlas@2 (TopoJSON, ISC
// licence), converted once by ./gen (`go generate`) to countries.txt:
// Equal Earth projection, keyed by ISO 3166-1 alpha-2 through
// configs/reference/iso3166.csv. Countries too small for a 1:110m shape
// (73 of the 249: small states such as MC, VA, SM, LI, AD, MT, SG, BH and
// most island states and territories) are drawn as dots at the centroid of
// their largest 1:10m polygon; DotOnly lists them. Where Natural Earth and
// ISO 3166 differ, gen says how each case is drawn (GF and SJ split from
// FR and NO, Crimea with UA, Kosovo as land with no code).
package worldmap

//go:generate go run ./gen -topo ${WORLD_ATLAS}/countries-110m.json -dots ${WORLD_ATLAS}/countries-10m.json -iso ../../configs/reference/iso3166.csv -out countries.txt

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed countries.txt
var countriesTxt []byte

// Country is one ISO 3166-1 country as the map draws it.
type Country struct {
	Code string // alpha-2
	Name string
	// Dot is set for a country drawn as a dot: it has no 1:110m outline.
	Dot bool
	// X, Y is where arcs start and end: the centroid of its largest
	// polygon, in map units (Width wide, y down).
	X, Y float64
	path string
}

// Width and Height are the size of the map area in SVG user units.
const (
	Width  = 1000
	Height = 487
)

type atlas struct {
	byCode map[string]*Country
	order  []*Country
	land   []string // path data of land with no ISO code (Kosovo)
}

var loadAtlas = sync.OnceValues(func() (*atlas, error) { return parseAtlas(countriesTxt) })

// parseAtlas reads countries.txt (see gen for its format).
func parseAtlas(b []byte) (*atlas, error) {
	a := &atlas{byCode: map[string]*Country{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.Split(t, "\t")
		if len(f) != 6 {
			return nil, fmt.Errorf("countries.txt:%d: %d fields, want 6", line, len(f))
		}
		x, err1 := strconv.ParseFloat(f[2], 64)
		y, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("countries.txt:%d: bad centroid %q %q", line, f[2], f[3])
		}
		if strings.Trim(f[5], "Ml0123456789.- z") != "" {
			return nil, fmt.Errorf("countries.txt:%d: path data with unexpected characters", line)
		}
		switch f[1] {
		case "land":
			a.land = append(a.land, f[5])
			continue
		case "shape", "dot":
		default:
			return nil, fmt.Errorf("countries.txt:%d: unknown kind %q", line, f[1])
		}
		if len(f[0]) != 2 || a.byCode[f[0]] != nil {
			return nil, fmt.Errorf("countries.txt:%d: bad or repeated code %q", line, f[0])
		}
		c := &Country{Code: f[0], Name: f[4], Dot: f[1] == "dot", X: x, Y: y, path: f[5]}
		if c.Dot != (c.path == "") {
			return nil, fmt.Errorf("countries.txt:%d: %s: kind %s with path of %d bytes", line, c.Code, f[1], len(c.path))
		}
		a.byCode[c.Code] = c
		a.order = append(a.order, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading countries.txt: %w", err)
	}
	if len(a.order) == 0 {
		return nil, errors.New("countries.txt: no countries")
	}
	return a, nil
}

// Countries returns every country the map knows, in ISO file order.
func Countries() ([]Country, error) {
	a, err := loadAtlas()
	if err != nil {
		return nil, err
	}
	out := make([]Country, len(a.order))
	for i, c := range a.order {
		out[i] = *c
	}
	return out, nil
}

// DotOnly returns the alpha-2 codes of the countries drawn as dots, sorted.
func DotOnly() ([]string, error) {
	a, err := loadAtlas()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range a.order {
		if c.Dot {
			out = append(out, c.Code)
		}
	}
	sort.Strings(out)
	return out, nil
}
