package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/auth"
)

// loginCookie carries the sign-in form's token: the form echoes it, so a
// sign-in cannot be posted from another site (login CSRF).
const loginCookie = "__Host-counternet_login"

type loginData struct {
	Next, Token, User, Error string
	OIDC                     bool
}

// safeNext keeps a post-sign-in target on the console: a path, never a
// URL of another host.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, r, http.StatusOK, loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	d.Token = base64.RawURLEncoding.EncodeToString(b)
	d.OIDC = s.opts.OIDC != nil
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: d.Token, Path: "/", MaxAge: 3600,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	s.renderStatus(w, r, nil, status, "login", "Sign in", d)
}

// login checks a user name and password, within the limits per user and
// per address, and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, nil, http.StatusBadRequest, "The form could not be read.")
		return
	}
	c, err := r.Cookie(loginCookie)
	tok := r.PostForm.Get("token")
	if err != nil || tok == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(tok)) != 1 {
		s.fail(w, r, nil, http.StatusForbidden, "The sign-in form's security token is missing or out of date: reload the page and try again.")
		return
	}
	name := strings.ToLower(strings.TrimSpace(r.PostForm.Get("user")))
	pw := r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	addr := clientAddr(r)
	if ok, wait := s.opts.Limiter.Allow(name, addr); !ok {
		_ = s.audit(r, AuditEvent{User: name, Action: "login_refused", Detail: "too many failed sign-ins"})
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Round(time.Second)/time.Second)+1))
		s.showLogin(w, r, http.StatusTooManyRequests, loginData{Next: next, User: name,
			Error: fmt.Sprintf("Too many failed sign-ins: try again in %s.", wait.Round(time.Second))})
		return
	}
	u, err := s.opts.Users.Authenticate(name, pw)
	if err != nil {
		s.opts.Limiter.Fail(name, addr)
		msg := "Wrong user name or password."
		if errors.Is(err, auth.ErrDisabled) {
			msg = "This account is disabled."
		} else if !errors.Is(err, auth.ErrBadCredentials) {
			s.opts.Log.Error().Err(err).Msg("console: checking a sign-in")
			msg = "Sign-in is not possible now: the users file could not be read (see the log)."
		}
		_ = s.audit(r, AuditEvent{User: name, Action: "login_failed", Detail: err.Error()})
		s.showLogin(w, r, http.StatusUnauthorized, loginData{Next: next, User: name, Error: msg})
		return
	}
	s.opts.Limiter.Succeed(name)
	s.startSession(w, r, u.Name, u.Roles, true, "password", next)
}

// startSession audits the sign-in, starts the session and sends the user
// on to next.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, user string, roles []auth.Role, local bool, how, next string) {
	if err := s.audit(r, AuditEvent{User: user, Action: "login", Detail: how + "; roles " + auth.JoinRoles(roles)}); err != nil {
		s.fail(w, r, nil, http.StatusServiceUnavailable, "Sign-in is not possible now: it could not be audited.")
		return
	}
	id, _, err := s.opts.Sessions.Create(user, roles, local)
	if err != nil {
		s.failErr(w, r, nil, "starting a session", err)
		return
	}
	http.SetCookie(w, s.opts.Sessions.Cookie(id))
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	if c, err := r.Cookie(auth.CookieName); err == nil {
		s.opts.Sessions.Delete(c.Value)
	}
	_ = s.audit(r, AuditEvent{User: sess.User, Action: "logout"})
	http.SetCookie(w, auth.ClearCookie())
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
