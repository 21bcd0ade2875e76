package console

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"time"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/evidenceview"
)

var reSHA = regexp.MustCompile(`^[0-9a-f]{64}$`)

// captureMeta is what the warehouse knows of a captured page.
type captureMeta struct {
	SHA256, Source, URL, Mirror, RunID, ContentType, PageKind, Outcome string
	FetchedAt                                                          time.Time
	Status                                                             uint16
	Bytes                                                              int64
}

const sqlCapture = `SELECT sha256, source, url, mirror, run_id, content_type, page_kind, outcome, fetched_at, status, bytes
FROM captures
WHERE sha256 = ?
ORDER BY fetched_at
LIMIT 20`

// captureRows reads every fetch of a page (the same bytes may have been
// fetched more than once).
func (s *Server) captureRows(r *http.Request, sha string) ([]captureMeta, error) {
	res, err := s.fetch(r.Context(), 20, sqlCapture, sha)
	if err != nil {
		return nil, err
	}
	var out []captureMeta
	for _, row := range res.Rows {
		m := captureMeta{SHA256: str(row[0]), Source: str(row[1]), URL: str(row[2]), Mirror: str(row[3]), RunID: str(row[4]),
			ContentType: str(row[5]), PageKind: str(row[6]), Outcome: str(row[7]), FetchedAt: tm(row[8])}
		if v, ok := row[9].(uint16); ok {
			m.Status = v
		}
		if v, ok := row[10].(int64); ok {
			m.Bytes = v
		}
		out = append(out, m)
	}
	return out, nil
}

type evidenceData struct {
	SHA256   string
	Fetches  []captureMeta
	Evidence *evidenceview.Evidence
	// Page is the captured page through evidenceview.Sanitize: its text
	// and structure, nothing that runs or fetches.
	Page    template.HTML
	Removed string
	Problem string
}

// openEvidence reads a capture through evidenceview (verified against its
// SHA-256 by the evidence store); problem says why it cannot be shown.
func (s *Server) openEvidence(sha string) (ev *evidenceview.Evidence, problem string) {
	if s.opts.Captures == nil {
		return nil, "This console has no evidence store."
	}
	ev, err := evidenceview.Open(s.opts.Captures, sha)
	switch {
	case err == nil:
		return ev, ""
	case errors.Is(err, capture.ErrNotFound):
		return nil, "The evidence store holds no page with this SHA-256."
	case errors.Is(err, capture.ErrTampered):
		return nil, "The stored page no longer matches its SHA-256: " + err.Error()
	}
	return nil, err.Error()
}

// evidence shows one captured page by its SHA-256: where and when it was
// fetched, that the stored bytes still match the hash, and the page itself
// sanitized (no script, no request: evidenceview) inside the console's
// strict Content-Security-Policy.
func (s *Server) evidence(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	sha := r.PathValue("sha")
	if !reSHA.MatchString(sha) {
		s.fail(w, r, sess, http.StatusBadRequest, "A capture is named by its SHA-256: 64 lower-case hex digits.")
		return
	}
	if err := s.audit(r, AuditEvent{User: sess.User, Action: "view_evidence", Object: sha}); err != nil {
		s.fail(w, r, sess, http.StatusServiceUnavailable, "The view could not be audited, so it is not shown: "+err.Error())
		return
	}
	d := evidenceData{SHA256: sha}
	var err error
	if d.Fetches, err = s.captureRows(r, sha); err != nil {
		s.failErr(w, r, sess, "reading the capture record", err)
		return
	}
	d.Evidence, d.Problem = s.openEvidence(sha)
	if d.Evidence != nil {
		page, rep, err := d.Evidence.Sanitized()
		switch {
		case err != nil:
			d.Problem = "The page cannot be shown: " + err.Error()
		default:
			d.Page, d.Removed = template.HTML(page), rep.Summary()
		}
	}
	if len(d.Fetches) == 0 && d.Evidence == nil {
		s.fail(w, r, sess, http.StatusNotFound, "No capture with this SHA-256: "+d.Problem)
		return
	}
	s.render(w, r, sess, "evidence", "Capture "+sha[:12], d)
}

// statement is the printable capture statement of a page, for the user
// printing it now (audited as print_statement).
func (s *Server) statement(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	sha := r.PathValue("sha")
	if !reSHA.MatchString(sha) {
		s.fail(w, r, sess, http.StatusBadRequest, "A capture is named by its SHA-256: 64 lower-case hex digits.")
		return
	}
	ev, problem := s.openEvidence(sha)
	if ev == nil {
		s.fail(w, r, sess, http.StatusNotFound, problem)
		return
	}
	fetches, err := s.captureRows(r, sha)
	if err != nil {
		s.failErr(w, r, sess, "reading the capture record", err)
		return
	}
	p := evidenceview.Printing{By: sess.User, At: time.Now().UTC()}
	if len(fetches) > 0 {
		p.Run, p.Market = fetches[0].RunID, fetches[0].Source
	}
	html, err := evidenceview.Statement(ev, p)
	if err != nil {
		s.failErr(w, r, sess, "writing the statement", err)
		return
	}
	if err := s.audit(r, AuditEvent{User: sess.User, Action: "print_statement", Object: sha}); err != nil {
		s.fail(w, r, sess, http.StatusServiceUnavailable, "The statement could not be audited, so it is not shown: "+err.Error())
		return
	}
	s.render(w, r, sess, "statement", fmt.Sprintf("Capture statement %s", sha[:12]), template.HTML(html))
}
