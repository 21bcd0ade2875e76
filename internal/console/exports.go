package console

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/cases"
	"github.com/counternet/counternet/internal/export"
)

// splitList reads a comma- or line-separated form field.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// draftOf reads an export request form: partner, TLP, purpose, legal
// basis, the selection (vendors, markets, routes, jurisdictions, since,
// until), fields to leave out and the form of the evidence.
func draftOf(r *http.Request) (cases.ExportDraft, error) {
	f := r.PostForm
	d := cases.ExportDraft{Partner: f.Get("partner"), TLP: f.Get("tlp"), Purpose: f.Get("purpose"), LegalBasis: f.Get("legal_basis"),
		Minimize: splitList(f.Get("minimize")), Evidence: true}
	d.Selection = export.Selection{Vendors: splitList(f.Get("vendors")), Markets: splitList(f.Get("markets")),
		Jurisdictions: splitList(strings.ToUpper(f.Get("jurisdictions")))}
	for _, rt := range splitList(f.Get("routes")) {
		route, err := export.ParseRoute(rt)
		if err != nil {
			return d, err
		}
		d.Selection.Routes = append(d.Selection.Routes, route)
	}
	var err error
	if v := strings.TrimSpace(f.Get("since")); v != "" {
		if d.Selection.Since, err = export.ParseTime(v); err != nil {
			return d, fmt.Errorf("since: %w", err)
		}
	}
	if v := strings.TrimSpace(f.Get("until")); v != "" {
		if d.Selection.Until, err = export.ParseTime(v); err != nil {
			return d, fmt.Errorf("until: %w", err)
		}
		if len(v) == len("2006-01-02") {
			d.Selection.Until = d.Selection.Until.Add(24*time.Hour - time.Second)
		}
	}
	switch ev := f.Get("evidence"); ev {
	case "", "auto":
	case "none":
		d.Evidence = false
	case export.EvidenceFull, export.EvidenceIndex:
		d.EvidenceForm = ev
	default:
		return d, fmt.Errorf("evidence %q: want auto, full, index or none", ev)
	}
	return d, nil
}

// exportRequest prepares a four-eyes export request from a case.
func (s *Server) exportRequest(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	d, err := draftOf(r)
	if err != nil {
		s.fail(w, r, sess, http.StatusBadRequest, "The export request: "+err.Error())
		return
	}
	req, err := s.opts.Cases.RequestExport(r.Context(), actor(r, sess), r.PathValue("id"), d)
	if err != nil {
		s.casesFailed(w, r, sess, "preparing the export request", err)
		return
	}
	http.Redirect(w, r, "/exports/"+req.ID, http.StatusSeeOther)
}

// exportsList lists the requests an approver may review (all), or those of
// the investigator's cases.
func (s *Server) exportsList(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	ctx, a := r.Context(), actor(r, sess)
	var reqs []cases.ExportRequest
	if sess.Has(auth.Approver) {
		rs, err := s.opts.Cases.ExportRequests(ctx, a, "", r.URL.Query().Get("status"))
		if err != nil {
			s.casesFailed(w, r, sess, "listing export requests", err)
			return
		}
		reqs = rs
	} else {
		cs, err := s.opts.Cases.Cases(ctx, a)
		if err != nil {
			s.casesFailed(w, r, sess, "listing cases", err)
			return
		}
		for _, c := range cs {
			rs, err := s.opts.Cases.ExportRequests(ctx, a, c.ID, r.URL.Query().Get("status"))
			if err != nil {
				s.casesFailed(w, r, sess, "listing export requests", err)
				return
			}
			reqs = append(reqs, rs...)
		}
		slices.SortFunc(reqs, func(x, y cases.ExportRequest) int { return y.RequestedAt.Compare(x.RequestedAt) })
	}
	s.render(w, r, sess, "exports", "Export requests", reqs)
}

type exportData struct {
	Review *cases.Review
	// CanReview: the user is an approver and not the requester, and the
	// request waits for a decision (or may be approved again).
	CanReview bool
	Counts    []countPair
	Built     []countPair
}

type countPair struct {
	Name  string
	Count uint64
}

func sortedCounts(m map[string]uint64) []countPair {
	var out []countPair
	for k, v := range m {
		out = append(out, countPair{k, v})
	}
	slices.SortFunc(out, func(a, b countPair) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// exportView shows what a request holds (internal/cases' Review, audited
// as export_review): counts, TLP, excluded fields, evidence; and the
// approve and reject forms to an approver who did not prepare it.
func (s *Server) exportView(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	rv, err := s.opts.Cases.Review(r.Context(), actor(r, sess), r.PathValue("id"))
	if err != nil {
		s.casesFailed(w, r, sess, "reading the export request", err)
		return
	}
	st := rv.Request.Status
	d := exportData{Review: rv, Counts: sortedCounts(rv.Counts), Built: sortedCounts(rv.Request.Counts),
		CanReview: sess.Has(auth.Approver) && sess.User != rv.Request.RequestedBy &&
			(st == cases.ExportPending || st == cases.ExportFailed)}
	s.render(w, r, sess, "export", "Export request "+rv.Request.ID, d)
}

func (s *Server) exportApprove(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	id := r.PathValue("id")
	if _, err := s.opts.Cases.Approve(r.Context(), actor(r, sess), id, r.PostForm.Get("note")); err != nil {
		s.casesFailed(w, r, sess, "approving the export request", err)
		return
	}
	http.Redirect(w, r, "/exports/"+id, http.StatusSeeOther)
}

func (s *Server) exportReject(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	id := r.PathValue("id")
	if _, err := s.opts.Cases.Reject(r.Context(), actor(r, sess), id, r.PostForm.Get("reason")); err != nil {
		s.casesFailed(w, r, sess, "rejecting the export request", err)
		return
	}
	http.Redirect(w, r, "/exports/"+id, http.StatusSeeOther)
}

// exportDownload serves a built package (internal/cases audits it as
// export_download).
func (s *Server) exportDownload(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	path, err := s.opts.Cases.PackagePath(r.Context(), actor(r, sess), r.PathValue("id"))
	if err != nil {
		s.casesFailed(w, r, sess, "downloading the package", err)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		s.failErr(w, r, sess, "opening the package", err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.failErr(w, r, sess, "opening the package", err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", filepath.Base(path)))
	http.ServeContent(w, r, filepath.Base(path), fi.ModTime(), f)
}
