package console

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/capture"
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
			ContentType: str(row[5]), PageKind: str(row[6]), Outcome: str(row[7]), FetchedAt: tm(row[8]), Bytes: int64(u64(row[10]))}
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
	Response *capture.Response
	// Text is the page body as text (plain view), when it is UTF-8.
	Text     string
	Problem  string
	Verified bool
}

// maxEvidenceText bounds the body shown as text.
const maxEvidenceText = 2 << 20

// evidence shows one captured page by its SHA-256: where and when it was
// fetched, that the stored bytes still match the hash, and the page
// itself, as inert text.
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
	if s.opts.Captures == nil {
		d.Problem = "This console has no evidence store."
	} else if d.Response, err = s.opts.Captures.Response(sha); err != nil {
		switch {
		case errors.Is(err, capture.ErrNotFound):
			d.Problem = "The evidence store holds no page with this SHA-256."
		case errors.Is(err, capture.ErrTampered):
			d.Problem = "The stored page no longer matches its SHA-256: " + err.Error()
		default:
			d.Problem = err.Error()
		}
	} else {
		d.Verified = true
		body := d.Response.Body
		if len(body) > maxEvidenceText {
			body = body[:maxEvidenceText]
		}
		if utf8.Valid(body) {
			d.Text = string(body)
		} else {
			d.Text = fmt.Sprintf("(%d bytes, not UTF-8 text)", len(d.Response.Body))
		}
	}
	if len(d.Fetches) == 0 && d.Response == nil {
		s.fail(w, r, sess, http.StatusNotFound, "No capture with this SHA-256: "+d.Problem)
		return
	}
	s.render(w, r, sess, "evidence", "Capture "+sha[:12], d)
}
