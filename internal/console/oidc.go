package console

import (
	"errors"
	"net/http"

	"github.com/counternet/counternet/internal/auth"
)

// oidcLogin sends the browser to the identity provider.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	if s.opts.OIDC == nil {
		s.fail(w, r, nil, http.StatusNotFound, "Sign-in through an identity provider is not configured (console.oidc).")
		return
	}
	state, u, err := s.opts.OIDC.Begin(safeNext(r.URL.Query().Get("next")))
	if err != nil {
		s.failErr(w, r, nil, "starting the sign-in", err)
		return
	}
	http.SetCookie(w, auth.StateCookieFor(state))
	http.Redirect(w, r, u, http.StatusFound)
}

// oidcCallback finishes a sign-in through the identity provider: the
// state must match the browser's cookie, the code is exchanged, the ID
// token verified and its claim mapped to roles. The session cookie is
// SameSite=Strict, which the browser does not send on the rest of the
// provider's cross-site redirect chain, so the user goes on from a page
// of the console's own (a same-site navigation).
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.opts.OIDC == nil {
		s.fail(w, r, nil, http.StatusNotFound, "Sign-in through an identity provider is not configured (console.oidc).")
		return
	}
	q := r.URL.Query()
	c, err := r.Cookie(auth.StateCookie)
	if err != nil || c.Value == "" || c.Value != q.Get("state") {
		s.fail(w, r, nil, http.StatusForbidden, "The sign-in did not start in this browser, or took too long: sign in again.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: auth.StateCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if e := q.Get("error"); e != "" {
		s.fail(w, r, nil, http.StatusUnauthorized, "The identity provider refused the sign-in: "+e+" "+q.Get("error_description"))
		return
	}
	user, roles, next, err := s.opts.OIDC.Finish(r.Context(), q.Get("state"), q.Get("code"))
	if err != nil {
		_ = s.audit(r, AuditEvent{User: orUnknown(user), Action: "login_failed", Detail: "oidc: " + err.Error()})
		status := http.StatusUnauthorized
		if errors.Is(err, auth.ErrNoRole) {
			status = http.StatusForbidden
		}
		s.fail(w, r, nil, status, "Sign-in through the identity provider failed: "+err.Error())
		return
	}
	if err := s.audit(r, AuditEvent{User: user, Action: "login", Detail: "oidc; roles " + auth.JoinRoles(roles)}); err != nil {
		s.fail(w, r, nil, http.StatusServiceUnavailable, "Sign-in is not possible now: it could not be audited.")
		return
	}
	id, _, err := s.opts.Sessions.Create(user, roles, false)
	if err != nil {
		s.failErr(w, r, nil, "starting a session", err)
		return
	}
	http.SetCookie(w, s.opts.Sessions.Cookie(id))
	s.render(w, r, nil, "continue", "Signed in", struct{ Next, User string }{next, user})
}

func orUnknown(u string) string {
	if u == "" {
		return "(unknown)"
	}
	return u
}
