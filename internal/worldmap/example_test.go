package worldmap_test

import (
	"fmt"
	"strings"

	"github.com/counternet/counternet/internal/worldmap"
)

// A map of three routes out of the Netherlands, zoomed to them, with the
// watched destination highlighted.
func ExampleRender() {
	var svg strings.Builder
	err := worldmap.Render(&svg, worldmap.Map{
		Title: "Routes from NL, last 30 days",
		Flows: []worldmap.Flow{
			{From: "NL", To: "GB", Count: 41, Basis: "explicit"},
			{From: "NL", To: "IE", Count: 12, Basis: "region"},
			{From: "NL", To: "MT", Count: 3, Basis: "worldwide"},
		},
		Highlight: []string{"GB"},
		Fit:       true,
	})
	fmt.Println(err, strings.HasPrefix(svg.String(), "<svg "), strings.Contains(svg.String(), "3 routes drawn"))
	// Output: <nil> true true
}
