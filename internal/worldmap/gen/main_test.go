package main

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 0.05 }

func TestProject(t *testing.T) {
	for _, c := range []struct {
		lon, lat, x, y float64
	}{
		{0, 0, Width / 2, 243.4},
		{180, 0, Width, 243.4},
		{-180, 0, 0, 243.4},
		{0, 90, Width / 2, 0},
		{0, -90, Width / 2, 486.7},
	} {
		p := project(c.lon, c.lat)
		if !near(p.x, c.x) || !near(p.y, c.y) {
			t.Errorf("project(%v, %v) = %.2f, %.2f, want %.1f, %.1f", c.lon, c.lat, p.x, p.y, c.x, c.y)
		}
	}
	for _, ll := range [][2]float64{{4.9, 52.4}, {-70.6, -33.4}, {151.2, -33.9}, {-171.8, -9.2}} {
		lon, lat := unproject(project(ll[0], ll[1]))
		if math.Abs(lon-ll[0]) > 1e-6 || math.Abs(lat-ll[1]) > 1e-6 {
			t.Errorf("unproject(project(%v)) = %v, %v", ll, lon, lat)
		}
	}
}

func TestSplitAntimeridian(t *testing.T) {
	// A square from 170°E to 170°W, as TopoJSON cuts it: two crossings.
	ring := []point{{170, -10}, {180, -10}, {-180, -10}, {-170, -10}, {-170, -20}, {-180, -20}, {180, -20}, {170, -20}, {170, -10}}
	parts := splitAntimeridian(ring)
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2: %v", len(parts), parts)
	}
	for i, p := range parts {
		for _, q := range p {
			if i == 0 && (q.x < 170 || q.x > 180) || i == 1 && (q.x < -180 || q.x > -170) {
				t.Errorf("part %d has %v", i, q)
			}
		}
		if a := math.Abs(area(p)); math.Abs(a-100) > 1e-9 {
			t.Errorf("part %d has area %v, want 100", i, a)
		}
	}
	// A ring around the pole (one crossing) is kept whole.
	polar := []point{{-180, -80}, {0, -70}, {180, -80}, {-180, -80}}
	if parts := splitAntimeridian(polar); len(parts) != 1 || len(parts[0]) != len(polar) {
		t.Errorf("polar ring split: %v", parts)
	}
}
