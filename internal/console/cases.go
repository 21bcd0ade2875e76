package console

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/cases"
)

// actor is the session's user as internal/cases takes it.
func actor(r *http.Request, sess *auth.Session) cases.Actor {
	roles := make([]string, len(sess.Roles))
	for i, x := range sess.Roles {
		roles[i] = string(x)
	}
	return cases.Actor{User: sess.User, Roles: roles, Address: clientAddr(r)}
}

// casesFailed renders an error of internal/cases with its status:
// refusals 403, unknown ids 404, bad input 400, a step out of order 409.
func (s *Server) casesFailed(w http.ResponseWriter, r *http.Request, sess *auth.Session, what string, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, cases.ErrForbidden), errors.Is(err, cases.ErrFourEyes):
		status = http.StatusForbidden
	case errors.Is(err, cases.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, cases.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, cases.ErrState):
		status = http.StatusConflict
	}
	if status == http.StatusInternalServerError {
		s.failErr(w, r, sess, what, err)
		return
	}
	s.fail(w, r, sess, status, what+": "+err.Error())
}

// openCases are the open cases the user may add a watch to.
func (s *Server) openCases(ctx context.Context, sess *auth.Session) []caseRef {
	if s.opts.Cases == nil || !sess.Has(auth.Investigator) {
		return nil
	}
	cs, err := s.opts.Cases.Cases(ctx, cases.Actor{User: sess.User, Roles: []string{string(auth.Investigator)}})
	if err != nil {
		s.opts.Log.Warn().Err(err).Str("user", sess.User).Msg("console: listing cases for the watch form")
		return nil
	}
	var out []caseRef
	for _, c := range cs {
		if c.Status == cases.StatusOpen {
			out = append(out, caseRef{ID: c.ID, Title: c.Title})
		}
	}
	return out
}

type casesData struct {
	Cases []cases.Case
}

func (s *Server) casesList(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	cs, err := s.opts.Cases.Cases(r.Context(), actor(r, sess))
	if err != nil {
		s.casesFailed(w, r, sess, "listing cases", err)
		return
	}
	s.render(w, r, sess, "cases", "Cases", casesData{Cases: cs})
}

func (s *Server) caseCreate(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	f := r.PostForm
	c, err := s.opts.Cases.CreateCase(r.Context(), actor(r, sess), cases.CaseInput{Title: f.Get("title"), Purpose: f.Get("purpose"),
		LegalBasis: f.Get("legal_basis")})
	if err != nil {
		s.casesFailed(w, r, sess, "creating the case", err)
		return
	}
	http.Redirect(w, r, "/cases/"+c.ID, http.StatusSeeOther)
}

type caseData struct {
	Case     *cases.Case
	Notes    []cases.Note
	Watches  []cases.Watch
	Alerts   []cases.Alert
	Exports  []cases.ExportRequest
	Partners []string
	CaseRole string
}

// caseView shows a case: members, notes, watchlist, alerts and export
// requests (internal/cases audits the view).
func (s *Server) caseView(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	ctx, a, id := r.Context(), actor(r, sess), r.PathValue("id")
	svc := s.opts.Cases
	c, err := svc.Case(ctx, a, id)
	if err != nil {
		s.casesFailed(w, r, sess, "reading the case", err)
		return
	}
	d := caseData{Case: c, CaseRole: c.Role(sess.User)}
	if d.Notes, err = svc.Notes(ctx, a, id); err == nil {
		if d.Watches, err = svc.Watchlist(ctx, a, id); err == nil {
			if d.Alerts, err = svc.Alerts(ctx, a, id, ""); err == nil {
				d.Exports, err = svc.ExportRequests(ctx, a, id, "")
			}
		}
	}
	if err != nil {
		s.casesFailed(w, r, sess, "reading the case", err)
		return
	}
	if svc.Exporter != nil {
		for _, p := range svc.Exporter.Partners {
			d.Partners = append(d.Partners, p.ID)
		}
	}
	s.render(w, r, sess, "case", c.Title, d)
}

func (s *Server) caseNote(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	id := r.PathValue("id")
	if _, err := s.opts.Cases.AddNote(r.Context(), actor(r, sess), id, r.PostForm.Get("body")); err != nil {
		s.casesFailed(w, r, sess, "adding the note", err)
		return
	}
	http.Redirect(w, r, "/cases/"+id+"#notes", http.StatusSeeOther)
}

func (s *Server) caseMember(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	id := r.PathValue("id")
	f := r.PostForm
	if _, err := s.opts.Cases.SetMember(r.Context(), actor(r, sess), id, strings.ToLower(strings.TrimSpace(f.Get("user"))), f.Get("role")); err != nil {
		s.casesFailed(w, r, sess, "setting the member", err)
		return
	}
	http.Redirect(w, r, "/cases/"+id+"#members", http.StatusSeeOther)
}

// watch adds an item to a case's watchlist, from the case page or a
// vendor profile (the form names the case).
func (s *Server) watch(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	f := r.PostForm
	id := r.PathValue("id")
	if id == "" {
		id = f.Get("case")
	}
	if _, err := s.opts.Cases.AddWatch(r.Context(), actor(r, sess), id, f.Get("kind"), f.Get("value"), f.Get("note")); err != nil {
		s.casesFailed(w, r, sess, "adding to the watchlist", err)
		return
	}
	http.Redirect(w, r, "/cases/"+id+"#watchlist", http.StatusSeeOther)
}

func (s *Server) alertStatus(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	id := r.PathValue("id")
	if _, err := s.opts.Cases.SetAlertStatus(r.Context(), actor(r, sess), id, r.PathValue("alert"), r.PostForm.Get("status")); err != nil {
		s.casesFailed(w, r, sess, "changing the alert", err)
		return
	}
	http.Redirect(w, r, "/cases/"+id+"#alerts", http.StatusSeeOther)
}

// alerts lists the alerts of every case of the user.
func (s *Server) alerts(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	status := r.URL.Query().Get("status")
	as, err := s.opts.Cases.AlertsFor(r.Context(), actor(r, sess), status)
	if err != nil {
		s.casesFailed(w, r, sess, "listing alerts", err)
		return
	}
	s.render(w, r, sess, "alerts", "Alerts", as)
}
