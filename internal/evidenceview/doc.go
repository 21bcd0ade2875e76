// Package evidenceview shows a captured page to an investigator without
// letting it do anything: Sanitize turns the page into an HTML fragment
// that keeps its text and structure (headings, paragraphs, lists, tables,
// form fields as text) and nothing that runs or fetches; Open reads a
// capture from the evidence store by its SHA-256, verified by
// internal/capture; Statement writes the printable capture statement an
// officer signs.
//
// Sanitize is an allow-list rewriter over the HTML5 parse tree
// (golang.org/x/net/html, scripting disabled, so <noscript> content is
// parsed as the markup a browser without scripts shows). Only the elements
// and attributes listed in policy.go are written, re-serialized from the
// tree with every text and attribute value escaped, so no raw-text
// element, foreign (SVG, MathML) content, comment or unescaped '<' from
// the page reaches the output; a browser parsing the output sees only
// inert elements. Everything that would run is dropped (scripts, event
// handler attributes, javascript: URLs, styles, which may hold url() and
// @import, frames, objects, embeds, <base>, <meta http-equiv=refresh>).
// Everything that would fetch or navigate (img src and srcset, a href,
// background, poster, cite, CSS url()) is shown as inert text in a
// <span class="ev-ref">, so the investigator sees what the page referred
// to while the browser requests nothing. What was removed is counted in
// the Report.
package evidenceview
