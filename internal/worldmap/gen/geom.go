package main

import (
	"fmt"
	"math"
	"strings"
)

// splitAntimeridian returns ring (longitude, latitude) as is, or, when it
// crosses the antimeridian and back (Fiji, Chukotka: consecutive points
// more than 180° apart, twice or more), as its parts east and west of it,
// each clipped at ±180° (Sutherland-Hodgman against one half-plane). A ring
// around a pole (one crossing, Antarctica) is kept as is.
func splitAntimeridian(r []point) [][]point {
	jumps := 0
	for i := 1; i < len(r); i++ {
		if math.Abs(r[i].x-r[i-1].x) > 180 {
			jumps++
		}
	}
	if jumps < 2 {
		return [][]point{r}
	}
	u := make([]point, len(r))
	for i, p := range r {
		if p.x < 0 {
			p.x += 360
		}
		u[i] = p
	}
	east := clipX(u, 180, false)
	west := clipX(u, 180, true)
	for i := range west {
		west[i].x -= 360
	}
	var out [][]point
	for _, piece := range [][]point{east, west} {
		if len(piece) >= 3 && math.Abs(area(piece)) > 1e-6 {
			out = append(out, piece)
		}
	}
	return out
}

// clipX clips a closed ring to x <= at (or x >= at when above is set).
func clipX(r []point, at float64, above bool) []point {
	in := func(p point) bool {
		if above {
			return p.x >= at
		}
		return p.x <= at
	}
	var out []point
	for i := range r {
		cur, prev := r[i], r[(i+len(r)-1)%len(r)]
		if in(cur) != in(prev) {
			t := (at - prev.x) / (cur.x - prev.x)
			out = append(out, point{at, prev.y + t*(cur.y-prev.y)})
		}
		if in(cur) {
			out = append(out, cur)
		}
	}
	if len(out) > 0 && out[0] != out[len(out)-1] {
		out = append(out, out[0])
	}
	return out
}

func projectRing(r []point) []point {
	out := make([]point, len(r))
	for i, p := range r {
		out[i] = project(p.x, p.y)
	}
	return out
}

func projectRings(rs [][]point) [][]point {
	out := make([][]point, len(rs))
	for i, r := range rs {
		out[i] = projectRing(r)
	}
	return out
}

// Equal Earth projection (Šavrič, Patterson, Jenny 2018).
const (
	eeA1 = 1.340264
	eeA2 = -0.081106
	eeA3 = 0.000893
	eeA4 = 0.003796
)

var (
	eeM     = math.Sqrt(3) / 2
	eeMaxX  = 2 * math.Sqrt(3) * math.Pi / (3 * eeA1) // x at λ=π, φ=0 (θ=0)
	eeScale = Width / (2 * eeMaxX)
	eeMaxY  = eeY(math.Asin(eeM)) // y at the pole
)

func eeY(t float64) float64 {
	t2 := t * t
	t6 := t2 * t2 * t2
	return t * (eeA1 + eeA2*t2 + t6*(eeA3+eeA4*t2))
}

// project maps longitude, latitude in degrees to map units, y down.
func project(lon, lat float64) point {
	l := lon * math.Pi / 180
	t := math.Asin(eeM * math.Sin(lat*math.Pi/180))
	t2 := t * t
	t6 := t2 * t2 * t2
	x := l * math.Cos(t) / (eeM * (eeA1 + 3*eeA2*t2 + t6*(7*eeA3+9*eeA4*t2)))
	y := eeY(t)
	return point{Width/2 + x*eeScale, (eeMaxY - y) * eeScale}
}

// unproject inverts project (Newton's method on θ), for the rules of assign.
func unproject(p point) (lon, lat float64) {
	x := (p.x - Width/2) / eeScale
	y := eeMaxY - p.y/eeScale
	t := y
	for range 12 {
		t2 := t * t
		t6 := t2 * t2 * t2
		fy := eeY(t) - y
		fpy := eeA1 + 3*eeA2*t2 + t6*(7*eeA3+9*eeA4*t2)
		t -= fy / fpy
	}
	t2 := t * t
	t6 := t2 * t2 * t2
	l := eeM * x * (eeA1 + 3*eeA2*t2 + t6*(7*eeA3+9*eeA4*t2)) / math.Cos(t)
	return l * 180 / math.Pi, math.Asin(math.Sin(t)/eeM) * 180 / math.Pi
}

// area returns the signed area of a ring (shoelace).
func area(r []point) float64 {
	var a float64
	for i := range r {
		j := (i + 1) % len(r)
		a += r[i].x*r[j].y - r[j].x*r[i].y
	}
	return a / 2
}

// largest returns the polygon with the largest outer ring.
func largest(ps []polygon) polygon {
	best, bestA := ps[0], -1.0
	for _, p := range ps {
		if a := math.Abs(area(p[0])); a > bestA {
			best, bestA = p, a
		}
	}
	return best
}

// centroid returns the area centroid of a polygon's outer ring (the vertex
// mean for a degenerate ring).
func centroid(p polygon) point {
	r := p[0]
	a := area(r)
	if math.Abs(a) < 1e-9 {
		var c point
		for _, q := range r {
			c.x += q.x
			c.y += q.y
		}
		return point{c.x / float64(len(r)), c.y / float64(len(r))}
	}
	var cx, cy float64
	for i := range r {
		j := (i + 1) % len(r)
		k := r[i].x*r[j].y - r[j].x*r[i].y
		cx += (r[i].x + r[j].x) * k
		cy += (r[i].y + r[j].y) * k
	}
	return point{cx / (6 * a), cy / (6 * a)}
}

// pathData writes polygons as compact SVG path data: an absolute move to
// each ring's first point, then relative lines, in tenths of a unit, with
// points that round to the previous one left out.
func pathData(ps []polygon) string {
	var b strings.Builder
	q := func(v float64) int { return int(math.Round(v * 10)) }
	for _, p := range ps {
		for _, r := range p {
			if len(r) < 3 {
				continue
			}
			x0, y0 := q(r[0].x), q(r[0].y)
			fmt.Fprintf(&b, "M%s %s", tenths(x0), tenths(y0))
			px, py := x0, y0
			n := 0
			var seg strings.Builder
			for _, pt := range r[1:] {
				x, y := q(pt.x), q(pt.y)
				if x == px && y == py {
					continue
				}
				fmt.Fprintf(&seg, " %s %s", tenths(x-px), tenths(y-py))
				px, py = x, y
				n++
			}
			if n < 2 {
				// A ring that collapses to a point or a line at this
				// resolution: drop the move too.
				s := b.String()
				b.Reset()
				b.WriteString(s[:strings.LastIndexByte(s, 'M')])
				continue
			}
			b.WriteString("l")
			b.WriteString(seg.String()[1:])
			b.WriteString("z")
		}
	}
	return b.String()
}

// tenths formats v/10 with at most one decimal.
func tenths(v int) string {
	s := ""
	if v < 0 {
		s, v = "-", -v
	}
	if v%10 == 0 {
		return fmt.Sprintf("%s%d", s, v/10)
	}
	return fmt.Sprintf("%s%d.%d", s, v/10, v%10)
}
