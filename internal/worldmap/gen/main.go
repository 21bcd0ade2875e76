// Command gen converts the world-atlas TopoJSON (Natural Earth country
// outlines, public domain) into the compact country file the worldmap
// package embeds. It is run by `go generate ./internal/worldmap` with the
// unpacked npm package world-atlas@2 at $WORLD_ATLAS:
//
//	mkdir /tmp/wa && cd /tmp/wa && npm pack world-atlas@2 && tar xzf world-atlas-2.*.tgz
//	WORLD_ATLAS=/tmp/wa/package go generate ./internal/worldmap
//
// Shapes come from countries-110m.json; countries too small to have a shape
// there become dots at the centroid of their largest polygon in
// countries-10m.json, and the few absent from both (overseas parts of
// France, Norway, the Netherlands, Australia and New Zealand that Natural
// Earth draws inside their sovereign state) at a position written below.
// Numeric ISO 3166 ids map to alpha-2 through configs/reference/iso3166.csv.
// It is not needed to build counternet.
package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// maxInput bounds the TopoJSON files read (countries-10m.json is ~3.5 MB).
const maxInput = 64 << 20

// Width of the map in SVG user units; the height follows the projection.
const Width = 1000

func main() {
	topo := flag.String("topo", "", "world-atlas countries-110m.json (shapes)")
	dots := flag.String("dots", "", "world-atlas countries-10m.json (centroids of countries without a shape)")
	iso := flag.String("iso", "../../configs/reference/iso3166.csv", "ISO 3166 table (name,alpha-2,...,country-code)")
	out := flag.String("out", "countries.txt", "file to write")
	flag.Parse()
	if *topo == "" || *dots == "" {
		fmt.Fprintln(os.Stderr, "gen: -topo and -dots are required (see the package doc)")
		os.Exit(2)
	}
	if err := run(*topo, *dots, *iso, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// country is one ISO 3166 row.
type country struct{ iso2, name string }

// entry is one line of the output.
type entry struct {
	code, kind, name string
	cx, cy           float64
	path             string
}

func run(topoPath, dotsPath, isoPath, outPath string) error {
	byNum, order, err := readISO(isoPath)
	if err != nil {
		return err
	}
	shapes, err := readTopo(topoPath)
	if err != nil {
		return err
	}
	small, err := readTopo(dotsPath)
	if err != nil {
		return err
	}
	polys := map[string][]polygon{} // alpha-2 (or a land key) -> polygons
	landName := map[string]string{}
	for _, f := range shapes {
		for _, p := range f.polys {
			code, name, err := assign(f, p, byNum)
			if err != nil {
				return err
			}
			polys[code] = append(polys[code], p)
			if name != "" {
				landName[code] = name
			}
		}
	}
	dotAt := map[string]point{}
	for _, f := range small {
		c, ok := byNum[f.id]
		if !ok || len(f.polys) == 0 {
			continue
		}
		dotAt[c.iso2] = centroid(largest(f.polys))
	}
	for code, ll := range handPlaced {
		dotAt[code] = project(ll[1], ll[0])
	}
	var entries []entry
	for _, c := range order {
		if ps := polys[c.iso2]; len(ps) > 0 {
			ctr := centroid(largest(ps))
			entries = append(entries, entry{c.iso2, "shape", c.name, ctr.x, ctr.y, pathData(ps)})
			continue
		}
		p, ok := dotAt[c.iso2]
		if !ok {
			return fmt.Errorf("%s (%s) has no shape, no polygon in %s and no hand-placed position", c.iso2, c.name, dotsPath)
		}
		entries = append(entries, entry{c.iso2, "dot", c.name, p.x, p.y, ""})
	}
	var lands []string
	for k := range landName {
		lands = append(lands, k)
	}
	sort.Strings(lands)
	for _, k := range lands {
		entries = append(entries, entry{"--", "land", landName[k], 0, 0, pathData(polys[k])})
	}
	return write(outPath, entries, topoPath, dotsPath)
}

// handPlaced are the countries of iso3166.csv with no polygon of their own
// even in countries-10m.json (Natural Earth draws them as part of their
// sovereign state), at their main island or town: latitude, longitude in
// decimal degrees, from standard gazetteer positions, good to about 0.2°.
var handPlaced = map[string][2]float64{
	"BQ": {12.18, -68.25},  // Bonaire (Kralendijk)
	"BV": {-54.42, 3.36},   // Bouvet Island
	"CX": {-10.49, 105.63}, // Christmas Island (Flying Fish Cove)
	"CC": {-12.16, 96.87},  // Cocos (Keeling) Islands (West Island)
	"GP": {16.25, -61.55},  // Guadeloupe (Basse-Terre/Grande-Terre)
	"MQ": {14.64, -61.02},  // Martinique
	"YT": {-12.83, 45.15},  // Mayotte
	"RE": {-21.12, 55.53},  // Réunion
	"TK": {-9.17, -171.82}, // Tokelau (Atafu/Nukunonu)
}

// assign names the ISO 3166 country a polygon of feature f belongs to.
// Natural Earth's admin-0 countries differ from ISO 3166-1 in a few places,
// settled here: French Guiana is drawn inside France and Svalbard inside
// Norway (split off by position as GF and SJ); Crimea is drawn inside
// Russia and is given to UA as in ISO 3166-2:UA; Northern Cyprus and
// Somaliland, which have no ISO code, are drawn as parts of CY and SO; Kosovo,
// which has no code in iso3166.csv, is drawn as land with no code (returned
// with its name).
func assign(f feature, p polygon, byNum map[string]country) (code, landName string, err error) {
	c := centroid(p)
	lon, lat := unproject(c)
	switch {
	case f.id == "250" && lon < -30:
		return "GF", "", nil
	case f.id == "578" && lat > 74:
		return "SJ", "", nil
	case f.id == "643" && lon > 32 && lon < 37 && lat > 44 && lat < 46.5:
		return "UA", "", nil
	case f.id == "" && f.name == "N. Cyprus":
		return "CY", "", nil
	case f.id == "" && f.name == "Somaliland":
		return "SO", "", nil
	case f.id == "" && f.name == "Kosovo":
		return "-" + f.name, f.name, nil
	}
	ctry, ok := byNum[f.id]
	if !ok {
		return "", "", fmt.Errorf("feature %q (id %q) has no ISO 3166 country and no rule", f.name, f.id)
	}
	return ctry.iso2, "", nil
}

func readISO(path string) (map[string]country, []country, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := csv.NewReader(io.LimitReader(f, maxInput))
	rows, err := r.ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(rows) < 2 {
		return nil, nil, fmt.Errorf("reading %s: no rows", path)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, need := range []string{"name", "alpha-2", "country-code"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("reading %s: no column %s", path, need)
		}
	}
	byNum := map[string]country{}
	var order []country
	for _, r := range rows[1:] {
		c := country{iso2: r[col["alpha-2"]], name: r[col["name"]]}
		byNum[r[col["country-code"]]] = c
		order = append(order, c)
	}
	return byNum, order, nil
}

// write writes the country file, one tab-separated line per entry.
func write(path string, entries []entry, topoPath, dotsPath string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "# Country outlines for the counternet world map. Generated by internal/worldmap/gen; do not edit.\n")
	fmt.Fprintf(w, "# Source: Natural Earth 1:110m (shapes) and 1:10m (dot positions) admin-0 countries, public domain,\n")
	fmt.Fprintf(w, "# as TopoJSON in the npm package world-atlas@2 (ISC licence, Mike Bostock): %s, %s.\n", baseName(topoPath), baseName(dotsPath))
	fmt.Fprintf(w, "# Equal Earth projection, %d units wide, y down. Columns: alpha-2, kind (shape|dot|land),\n", Width)
	fmt.Fprintf(w, "# centroid x, centroid y, name, SVG path data (shape and land only; rings closed, even-odd fill).\n")
	for _, e := range entries {
		if strings.ContainsAny(e.name, "\t\n") {
			return fmt.Errorf("name %q has a tab or newline", e.name)
		}
		fmt.Fprintf(w, "%s\t%s\t%.1f\t%.1f\t%s\t%s\n", e.code, e.kind, e.cx, e.cy, e.name, e.path)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// topology is the part of a TopoJSON file read here.
type topology struct {
	Arcs      [][][2]float64 `json:"arcs"`
	Transform *struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Objects map[string]struct {
		Geometries []struct {
			Type       string          `json:"type"`
			ID         string          `json:"id"`
			Arcs       json.RawMessage `json:"arcs"`
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
		} `json:"geometries"`
	} `json:"objects"`
}

// point is a point: longitude, latitude while read, map units once projected.
type point struct{ x, y float64 }

// polygon is rings of projected points; the first is the outer ring.
type polygon [][]point

// feature is one country geometry.
type feature struct {
	id, name string
	polys    []polygon
}

func readTopo(path string) ([]feature, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("reading %s: larger than %d bytes", path, maxInput)
	}
	var t topology
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	obj, ok := t.Objects["countries"]
	if !ok || t.Transform == nil {
		return nil, fmt.Errorf("%s: no quantized countries object", path)
	}
	// Decode the delta-encoded, quantized arcs to longitude, latitude.
	arcs := make([][]point, len(t.Arcs))
	for i, a := range t.Arcs {
		var x, y float64
		for _, d := range a {
			x += d[0]
			y += d[1]
			lon := x*t.Transform.Scale[0] + t.Transform.Translate[0]
			lat := y*t.Transform.Scale[1] + t.Transform.Translate[1]
			arcs[i] = append(arcs[i], point{lon, lat})
		}
	}
	ring := func(idx []int) ([]point, error) {
		var out []point
		for _, i := range idx {
			var a []point
			switch {
			case i >= 0 && i < len(arcs):
				a = arcs[i]
			case i < 0 && ^i < len(arcs):
				src := arcs[^i]
				a = make([]point, len(src))
				for j := range src {
					a[j] = src[len(src)-1-j]
				}
			default:
				return nil, fmt.Errorf("arc %d out of range", i)
			}
			if len(out) > 0 {
				a = a[1:]
			}
			out = append(out, a...)
		}
		return out, nil
	}
	var feats []feature
	for _, g := range obj.Geometries {
		var polyIdx [][][]int
		switch g.Type {
		case "Polygon":
			var p [][]int
			if err := json.Unmarshal(g.Arcs, &p); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, g.Properties.Name, err)
			}
			polyIdx = [][][]int{p}
		case "MultiPolygon":
			if err := json.Unmarshal(g.Arcs, &polyIdx); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, g.Properties.Name, err)
			}
		case "", "null":
			continue
		default:
			return nil, fmt.Errorf("%s: %s: unexpected geometry %s", path, g.Properties.Name, g.Type)
		}
		f := feature{id: g.ID, name: g.Properties.Name}
		for _, pi := range polyIdx {
			var p polygon
			for i, ri := range pi {
				r, err := ring(ri)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %w", path, g.Properties.Name, err)
				}
				pieces := splitAntimeridian(r)
				if i > 0 || len(pieces) == 0 {
					p = append(p, projectRings(pieces)...)
					continue
				}
				// An outer ring cut in two by the antimeridian: each piece
				// is its own polygon; holes stay with the first.
				p = append(p, projectRing(pieces[0]))
				for _, extra := range pieces[1:] {
					f.polys = append(f.polys, polygon{projectRing(extra)})
				}
			}
			if len(p) > 0 {
				f.polys = append(f.polys, p)
			}
		}
		feats = append(feats, f)
	}
	if len(feats) == 0 {
		return nil, errors.New(path + ": no countries")
	}
	return feats, nil
}
