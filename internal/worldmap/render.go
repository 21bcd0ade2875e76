package worldmap

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Map is what Render draws.
type Map struct {
	Flows []Flow
	// Highlight are alpha-2 codes of countries filled in the highlight
	// colour (e.g. a watched destination).
	Highlight []string
	// Title is shown above the map and is the SVG's accessible name.
	Title string
	// Fit zooms the map to the flows and highlighted countries (with a
	// margin, at least MinFitWidth units wide) instead of the whole world;
	// a map with neither shows the world.
	Fit bool
}

// Flow is a route between two countries: Count listings (or whatever the
// caller counts) shipping From -> To, with the Basis of the destination.
type Flow struct {
	From, To string // ISO 3166-1 alpha-2
	Count    int
	// Basis is how the destination was stated: "explicit" (the country is
	// named), "region" (a region that includes it) or "worldwide".
	Basis string
}

// Bases are the values Flow.Basis may take, in drawing order.
var Bases = []string{"explicit", "region", "worldwide"}

// Limits of a map. Flows past MaxFlows (the smallest, after merging
// repeats) are not drawn; the legend says how many and what they count.
const (
	MaxFlows      = 400
	MaxHighlight  = 300
	MaxTitleRunes = 200
	maxInputFlows = 100000
	// MinFitWidth is the narrowest part of the world a fitted map shows,
	// in map units (Width is the whole world): about Western Europe.
	MinFitWidth = 160
	fitMargin   = 30
)

// ErrBadMap marks a Map that cannot be drawn as given: an unknown country
// code, a count below 1, an unknown basis, a title too long or not UTF-8.
var ErrBadMap = errors.New("invalid map")

// basisStyle is how flows of one basis are drawn.
var basisStyle = map[string]struct{ colour, dash, label string }{
	"explicit":  {"#b2182b", "", "country named (explicit)"},
	"region":    {"#e08214", "6 3", "region that includes it"},
	"worldwide": {"#2166ac", "1.5 2.5", "worldwide offer"},
}

const (
	landFill      = "#dcd8cc"
	landStroke    = "#ffffff"
	highlightFill = "#f4c542"
	seaFill       = "#f3f7fa"
	textColour    = "#222222"
	titleHeight   = 28
	legendHeight  = 64
	minWidth      = 1.0
	maxWidth      = 9.0
)

type flowKey struct{ from, to, basis string }

// prepared is a validated map.
type prepared struct {
	title      string
	flows      []Flow // merged, drawn ones, smallest first
	hidden     int    // merged flows not drawn
	hiddenSum  int    // their total count
	max        int
	highlight  map[string]bool
	endpoints  map[string]bool
	basesShown map[string]bool
	// view is the part of the map shown (x, y, width, height) and k its
	// zoom (Width / view width).
	view [4]float64
	k    float64
}

// fit sets p.view to the box around the flows' ends and the highlighted
// countries, with a margin, at least MinFitWidth wide, in the map's aspect
// ratio, inside the map; to the whole map when fit is false or there is
// nothing to fit.
func (p *prepared) fit(a *atlas, fit bool) {
	p.view, p.k = [4]float64{0, 0, Width, Height}, 1
	if !fit {
		return
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, set := range []map[string]bool{p.endpoints, p.highlight} {
		for code := range set {
			c := a.byCode[code]
			x0, y0 = math.Min(x0, c.X), math.Min(y0, c.Y)
			x1, y1 = math.Max(x1, c.X), math.Max(y1, c.Y)
		}
	}
	if math.IsInf(x0, 1) {
		return
	}
	x0, y0, x1, y1 = x0-fitMargin, y0-fitMargin, x1+fitMargin, y1+fitMargin
	w, h := math.Max(x1-x0, MinFitWidth), y1-y0
	if h*Width/Height > w {
		w = h * Width / Height
	}
	h = w * Height / Width
	if w >= Width {
		return
	}
	cx, cy := (x0+x1)/2, (y0+y1)/2
	x := math.Min(math.Max(cx-w/2, 0), Width-w)
	y := math.Min(math.Max(cy-h/2, 0), Height-h)
	p.view, p.k = [4]float64{x, y, w, h}, Width/w
}

func prepare(a *atlas, m Map) (*prepared, error) {
	if !utf8.ValidString(m.Title) || utf8.RuneCountInString(m.Title) > MaxTitleRunes {
		return nil, fmt.Errorf("%w: title is not UTF-8 or longer than %d characters", ErrBadMap, MaxTitleRunes)
	}
	if len(m.Flows) > maxInputFlows {
		return nil, fmt.Errorf("%w: %d flows, at most %d", ErrBadMap, len(m.Flows), maxInputFlows)
	}
	if len(m.Highlight) > MaxHighlight {
		return nil, fmt.Errorf("%w: %d highlighted countries, at most %d", ErrBadMap, len(m.Highlight), MaxHighlight)
	}
	p := &prepared{title: m.Title, highlight: map[string]bool{}, endpoints: map[string]bool{}, basesShown: map[string]bool{}}
	for _, h := range m.Highlight {
		c := strings.ToUpper(h)
		if a.byCode[c] == nil {
			return nil, fmt.Errorf("%w: highlighted country %q is not an ISO 3166-1 alpha-2 code", ErrBadMap, h)
		}
		p.highlight[c] = true
	}
	merged := map[flowKey]int{}
	for i, f := range m.Flows {
		from, to := strings.ToUpper(f.From), strings.ToUpper(f.To)
		if a.byCode[from] == nil {
			return nil, fmt.Errorf("%w: flow %d: origin %q is not an ISO 3166-1 alpha-2 code", ErrBadMap, i, f.From)
		}
		if a.byCode[to] == nil {
			return nil, fmt.Errorf("%w: flow %d: destination %q is not an ISO 3166-1 alpha-2 code", ErrBadMap, i, f.To)
		}
		if f.Count < 1 {
			return nil, fmt.Errorf("%w: flow %d (%s -> %s): count %d, want at least 1", ErrBadMap, i, from, to, f.Count)
		}
		if _, ok := basisStyle[f.Basis]; !ok {
			return nil, fmt.Errorf("%w: flow %d (%s -> %s): basis %q, want explicit, region or worldwide", ErrBadMap, i, from, to, f.Basis)
		}
		k := flowKey{from, to, f.Basis}
		if merged[k] > math.MaxInt-f.Count {
			return nil, fmt.Errorf("%w: flow %d (%s -> %s): counts overflow", ErrBadMap, i, from, to)
		}
		merged[k] += f.Count
	}
	all := make([]Flow, 0, len(merged))
	for k, n := range merged {
		all = append(all, Flow{From: k.from, To: k.to, Count: n, Basis: k.basis})
	}
	// Largest first, ties in a fixed order, so the same map draws the same.
	sort.Slice(all, func(i, j int) bool {
		x, y := all[i], all[j]
		if x.Count != y.Count {
			return x.Count > y.Count
		}
		if x.From != y.From {
			return x.From < y.From
		}
		if x.To != y.To {
			return x.To < y.To
		}
		return x.Basis < y.Basis
	})
	if len(all) > MaxFlows {
		for _, f := range all[MaxFlows:] {
			p.hidden++
			p.hiddenSum += f.Count
		}
		all = all[:MaxFlows]
	}
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	p.flows = all
	for _, f := range all {
		p.max = max(p.max, f.Count)
		p.endpoints[f.From] = true
		p.endpoints[f.To] = true
		p.basesShown[f.Basis] = true
	}
	p.fit(a, m.Fit)
	return p, nil
}

// Render writes m as a standalone SVG document to w. It returns an error
// wrapping ErrBadMap, before writing anything, when m cannot be drawn as
// given, and the writer's error when writing fails.
func Render(w io.Writer, m Map) error {
	a, err := loadAtlas()
	if err != nil {
		return err
	}
	p, err := prepare(a, m)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	r := &renderer{w: bw, a: a, p: p}
	r.document()
	return bw.Flush()
}

type renderer struct {
	w *bufio.Writer
	a *atlas
	p *prepared
}

func (r *renderer) printf(format string, args ...any) { fmt.Fprintf(r.w, format, args...) }

// text writes s escaped for XML character data and attribute values.
func (r *renderer) text(s string) { xml.EscapeText(r.w, []byte(s)) }

// u converts a size in screen units to map units at the map's zoom.
func (r *renderer) u(v float64) float64 { return v / r.p.k }

// n formats a number in map units: one decimal on the world map, two
// when zoomed in.
func (r *renderer) n(v float64) string {
	if r.p.k > 1.5 {
		s := strconv.FormatFloat(v, 'f', 2, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		if s == "-0" || s == "" {
			return "0"
		}
		return s
	}
	return num(v)
}

func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

func (r *renderer) document() {
	total := Height + titleHeight + legendHeight
	r.printf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" font-family="sans-serif" font-size="12">`+"\n",
		Width, total, Width, total)
	title := r.p.title
	if title == "" {
		title = "Routes"
	}
	r.printf("<title>")
	r.text(title)
	r.printf("</title>\n")
	r.printf(`<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", Width, total)
	r.printf(`<text x="8" y="19" font-size="16" fill="%s">`, textColour)
	r.text(title)
	r.printf("</text>\n")
	v := r.p.view
	r.printf(`<svg x="0" y="%d" width="%d" height="%d" viewBox="%s %s %s %s">`+"\n",
		titleHeight, Width, Height, r.n(v[0]), r.n(v[1]), r.n(v[2]), r.n(v[3]))
	r.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`+"\n", r.n(v[0]), r.n(v[1]), r.n(v[2]), r.n(v[3]), seaFill)
	r.countries()
	r.flows()
	r.printf("</svg>\n")
	r.legend(Height + titleHeight)
	r.printf("</svg>\n")
}

func (r *renderer) countries() {
	r.printf(`<g fill="%s" stroke="%s" stroke-width="%s" fill-rule="evenodd">`+"\n", landFill, landStroke, r.n(r.u(0.4)))
	for _, d := range r.a.land {
		r.printf(`<path d="%s"/>`+"\n", d)
	}
	for _, c := range r.a.order {
		if c.Dot {
			continue
		}
		r.printf(`<path d="%s"`, c.path)
		if r.p.highlight[c.Code] {
			r.printf(` fill="%s"`, highlightFill)
		}
		r.printf("><title>")
		r.text(c.Name + " (" + c.Code + ")")
		r.printf("</title></path>\n")
	}
	r.printf("</g>\n")
	// Dot-only countries: every one as a small dot, larger when highlighted
	// or at the end of a flow, so an arc never ends in the sea unexplained.
	r.printf(`<g fill="%s" stroke="#8c8878" stroke-width="%s">`+"\n", landFill, r.n(r.u(0.4)))
	for _, c := range r.a.order {
		if !c.Dot {
			continue
		}
		rad, fill := 1.6, ""
		if r.p.endpoints[c.Code] {
			rad = 3
		}
		if r.p.highlight[c.Code] {
			rad, fill = 3.5, fmt.Sprintf(` fill="%s"`, highlightFill)
		}
		r.printf(`<circle cx="%s" cy="%s" r="%s"%s><title>`, r.n(c.X), r.n(c.Y), r.n(r.u(rad)), fill)
		r.text(c.Name + " (" + c.Code + ")")
		r.printf("</title></circle>\n")
	}
	r.printf("</g>\n")
}

// width is the stroke width of a flow of count n.
func (r *renderer) width(n int) float64 {
	if r.p.max <= 1 {
		return minWidth
	}
	return minWidth + (maxWidth-minWidth)*math.Sqrt(float64(n)/float64(r.p.max))
}

func (r *renderer) flows() {
	r.printf(`<g fill="none" stroke-linecap="round">` + "\n")
	for _, f := range r.p.flows {
		r.flow(f)
	}
	r.printf("</g>\n")
}

// flow draws one flow: a quadratic arc bending to the left of its
// direction (so A->B and B->A do not overlap, and each basis bends by a
// different amount), ending in an arrowhead; a loop for From == To.
func (r *renderer) flow(f Flow) {
	st := basisStyle[f.Basis]
	wd := r.width(f.Count)
	from, to := r.a.byCode[f.From], r.a.byCode[f.To]
	dash := ""
	if st.dash != "" {
		var d []string
		for _, f := range strings.Fields(st.dash) {
			v, _ := strconv.ParseFloat(f, 64)
			d = append(d, r.n(r.u(v)))
		}
		dash = fmt.Sprintf(` stroke-dasharray="%s"`, strings.Join(d, " "))
	}
	label := fmt.Sprintf("%s (%s) -> %s (%s): %d, %s", from.Name, from.Code, to.Name, to.Code, f.Count, st.label)
	r.printf(`<g stroke="%s" stroke-opacity="0.8"><title>`, st.colour)
	r.text(label)
	r.printf("</title>")
	if f.From == f.To || math.Hypot(to.X-from.X, to.Y-from.Y) < 0.5 {
		// Domestic (or two countries drawn at one point): a loop.
		rad := r.u(5 + wd)
		r.printf(`<circle cx="%s" cy="%s" r="%s" stroke-width="%s"%s/></g>`+"\n",
			r.n(from.X), r.n(from.Y-rad), r.n(rad), r.n(r.u(wd)), dash)
		return
	}
	x0, y0, x1, y1 := from.X, from.Y, to.X, to.Y
	dx, dy := x1-x0, y1-y0
	dist := math.Hypot(dx, dy)
	bend := 0.18
	for i, b := range Bases {
		if b == f.Basis {
			bend += 0.07 * float64(i)
		}
	}
	// Control point: midpoint moved left of the direction by bend*dist.
	cx, cy := (x0+x1)/2+dy*bend, (y0+y1)/2-dx*bend
	// Arrowhead along the end tangent (control point -> end).
	tx, ty := x1-cx, y1-cy
	tl := math.Hypot(tx, ty)
	head := math.Min(r.u(4+1.6*wd), dist/3)
	ux, uy := tx/tl, ty/tl
	bx, by := x1-ux*head, y1-uy*head // base of the head; the line stops here
	half := head * 0.55
	r.printf(`<path d="M%s %sQ%s %s %s %s" stroke-width="%s"%s/>`,
		r.n(x0), r.n(y0), r.n(cx), r.n(cy), r.n(bx), r.n(by), r.n(r.u(wd)), dash)
	r.printf(`<path d="M%s %sL%s %sL%s %sz" fill="%s" stroke="none"/></g>`+"\n",
		r.n(x1), r.n(y1), r.n(bx-uy*half), r.n(by+ux*half), r.n(bx+uy*half), r.n(by-ux*half), st.colour)
}

func (r *renderer) legend(top int) {
	r.printf(`<g transform="translate(0 %d)" fill="%s">`+"\n", top, textColour)
	x := 8.0
	for _, b := range Bases {
		st := basisStyle[b]
		dash := ""
		if st.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, st.dash)
		}
		r.printf(`<path d="M%s 16h34" stroke="%s" stroke-width="3" fill="none"%s/>`, num(x), st.colour, dash)
		r.printf(`<text x="%s" y="20">`, num(x+40))
		r.text(st.label)
		r.printf("</text>\n")
		x += 230
	}
	if r.p.max > 0 {
		r.printf(`<path d="M%s 10h30" stroke="#555555" stroke-width="%s"/>`, num(x), num(r.width(r.p.max)))
		r.printf(`<text x="%s" y="14">%d</text>`+"\n", num(x+36), r.p.max)
		r.printf(`<path d="M%s 24h30" stroke="#555555" stroke-width="%s"/>`, num(x), num(minWidth))
		r.printf(`<text x="%s" y="28">1</text>`+"\n", num(x+36))
	}
	line := fmt.Sprintf("%d routes drawn; arrows point to the destination; dots are countries too small to outline.", len(r.p.flows))
	if len(r.p.flows) == 0 {
		line = "No routes to draw; dots are countries too small to outline."
	}
	if r.p.hidden > 0 {
		line += fmt.Sprintf(" %d smaller routes (total %d) not drawn.", r.p.hidden, r.p.hiddenSum)
	}
	r.printf(`<text x="8" y="46">`)
	r.text(line)
	r.printf("</text>\n")
	zoom := ""
	if r.p.k > 1 {
		zoom = fmt.Sprintf(" Zoomed %.1f times to the routes shown.", r.p.k)
	}
	r.printf(`<text x="8" y="60" font-size="10" fill="#666666">Outlines: Natural Earth 1:110m (public domain), Equal Earth projection.%s</text>`+"\n", zoom)
	r.printf("</g>\n")
}
