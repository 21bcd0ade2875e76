package evidenceview

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"
)

// Printing is what a capture statement says beyond the capture itself.
type Printing struct {
	// Run is the collector run that made the capture and Market the market
	// or forum, as the warehouse records them ("" when not known: the
	// statement says so).
	Run    string
	Market string
	// By is the user printing the statement and At when (required).
	By string
	At time.Time
}

// ErrNotVerified marks evidence that did not come from Open: a statement
// vouches for a hash it has checked, never for one it was handed.
var ErrNotVerified = errors.New("evidence not read and verified through Open")

var statementTmpl = template.Must(template.New("statement").Parse(`<article class="capture-statement">
<h1>Capture statement</h1>
<p>The web page described below was collected by counternet and kept unaltered in its evidence store as a WARC/1.1 record. Its SHA-256 hash identifies the archived response body; any change to a single byte changes the hash.</p>
<table class="capture-statement-fields">
<tbody>
<tr><th scope="row">SHA-256</th><td><code>{{.SHA256}}</code></td></tr>
<tr><th scope="row">Captured at (UTC)</th><td>{{.CapturedAt}}</td></tr>
<tr><th scope="row">URL</th><td><code>{{.URL}}</code></td></tr>
<tr><th scope="row">Mirror</th><td><code>{{.Mirror}}</code></td></tr>
<tr><th scope="row">Market or forum</th><td>{{.Market}}</td></tr>
<tr><th scope="row">Collector run</th><td><code>{{.Run}}</code></td></tr>
<tr><th scope="row">HTTP status</th><td>{{.Status}}</td></tr>
<tr><th scope="row">Content type</th><td>{{.ContentType}}</td></tr>
<tr><th scope="row">Size</th><td>{{.Size}} bytes{{if .Truncated}} (cut at the collector's size limit: {{.Truncated}}){{end}}</td></tr>
<tr><th scope="row">WARC record</th><td><code>{{.RecordID}}</code> in <code>{{.File}}</code> at offset {{.Offset}}</td></tr>
</tbody>
</table>
<p class="capture-statement-check">When this statement was produced the record was read back from the evidence store, its SHA-256 recomputed from the archived body and found equal to the value above, and its WARC digests checked.</p>
<p class="capture-statement-printed">Printed by <strong>{{.By}}</strong> on {{.At}} (UTC).</p>
<p class="capture-statement-sign">Signature: ______________________________ &nbsp; Date: ________________</p>
</article>
`))

// Statement returns the printable capture statement of ev (which must come
// from Open) as an HTML fragment: an <article class="capture-statement">
// for the console to place in a page with its print stylesheet. Every value
// is escaped.
func Statement(ev *Evidence, p Printing) ([]byte, error) {
	if ev == nil || !ev.verified {
		return nil, fmt.Errorf("writing capture statement: %w", ErrNotVerified)
	}
	if strings.TrimSpace(p.By) == "" || p.At.IsZero() {
		return nil, errors.New("writing capture statement: who prints it and when are required")
	}
	unknown := func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "not recorded"
		}
		return s
	}
	market := p.Market
	if market == "" {
		market = ev.Source + " (collector source)"
	}
	data := map[string]any{
		"SHA256":      ev.SHA256,
		"CapturedAt":  ev.CapturedAt.UTC().Format(time.RFC3339),
		"URL":         ev.URL,
		"Mirror":      unknown(ev.Mirror),
		"Market":      unknown(market),
		"Run":         unknown(p.Run),
		"Status":      ev.Status,
		"ContentType": unknown(ev.ContentType),
		"Size":        len(ev.Body),
		"Truncated":   ev.Truncated,
		"RecordID":    ev.RecordID,
		"File":        ev.File,
		"Offset":      ev.Offset,
		"By":          p.By,
		"At":          p.At.UTC().Format(time.RFC3339),
	}
	var b bytes.Buffer
	if err := statementTmpl.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("writing capture statement: %w", err)
	}
	return b.Bytes(), nil
}
