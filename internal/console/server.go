package console

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/cases"
)

// CSP is the Content-Security-Policy of every response: nothing but the
// console's own stylesheet and inline images (data: URLs), no script, no
// frame, forms only to the console itself.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Options are what a console serves from.
type Options struct {
	// Conn reads ClickHouse (queries run as `counternet query` runs them).
	Conn driver.Conn
	// Captures is the evidence store the evidence viewer reads.
	Captures *capture.Store
	Users    *auth.Users
	Sessions *auth.Sessions
	Limiter  *auth.Limiter
	// Audit records sign-ins, views and export steps; required.
	Audit Auditor
	// Cases holds cases, watchlists, alerts and export requests; nil
	// serves the console without them (their routes answer 503).
	Cases *cases.Service
	// OIDC, when set, offers sign-in through the identity provider.
	OIDC *auth.OIDC
	// Version is shown in the footer.
	Version string
	Log     zerolog.Logger
	// QueryTimeout bounds each query a page runs (30s when 0).
	QueryTimeout time.Duration
}

// Auditor records what users do in the console. Record returns an error
// when the record could not be stored: the action is then refused (an
// unaudited view or export step is not allowed to happen).
type Auditor interface {
	Record(ctx context.Context, e AuditEvent) error
}

// AuditEvent is one audited action.
type AuditEvent struct {
	User   string
	Action string // login, login_failed, logout, view_vendor, view_case, view_evidence, export_request, export_approve, export_reject, export_download, ...
	Object string // what it concerns: market:handle, case id, sha256, export id
	Detail string
	Addr   string // client address
}

// Server is a console.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	pages  *pages
	routes []route
}

// New makes a console over opts.
func New(opts Options) (*Server, error) {
	if opts.Conn == nil || opts.Users == nil || opts.Sessions == nil || opts.Limiter == nil || opts.Audit == nil {
		return nil, errors.New("console: Conn, Users, Sessions, Limiter and Audit are required")
	}
	if opts.QueryTimeout == 0 {
		opts.QueryTimeout = 30 * time.Second
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), pages: p}
	s.routes = s.routeTable()
	for _, r := range s.routes {
		s.mux.Handle(r.method+" "+r.pattern, s.guard(r))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			s.guard(route{method: "GET", pattern: "/", roles: readRoles, h: s.home}).ServeHTTP(w, r)
			return
		}
		s.notFound(w, r)
	})
	return s, nil
}

// Handler is the console's HTTP handler.
func (s *Server) Handler() http.Handler { return secureHeaders(s.mux) }

// Route is one route of the console, as the route table lists it.
type Route struct {
	Method, Pattern string
	Roles           []auth.Role // nil: no sign-in needed (login, stylesheet)
}

// Routes lists every route with the roles it admits (tests walk it).
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.routes {
		out = append(out, Route{Method: r.method, Pattern: r.pattern, Roles: slices.Clone(r.roles)})
	}
	return out
}

// handler is a page handler of a signed-in user.
type handler func(w http.ResponseWriter, r *http.Request, sess *auth.Session)

// route is one entry of the route table.
type route struct {
	method, pattern string
	// roles are the roles that may use the route (any one of them); nil
	// means public (no session needed).
	roles []auth.Role
	h     handler
	// public is the handler of a public route.
	public http.HandlerFunc
	// needsCases: the route works on cases (Options.Cases).
	needsCases bool
}

// Role sets of the route table.
var (
	readRoles   = []auth.Role{auth.Analyst, auth.Investigator, auth.Approver}
	caseRoles   = []auth.Role{auth.Investigator, auth.Approver}
	investigate = []auth.Role{auth.Investigator}
	approve     = []auth.Role{auth.Approver}
	exportRoles = []auth.Role{auth.Investigator, auth.Approver}
	operate     = []auth.Role{auth.Operator}
	administer  = []auth.Role{auth.Admin}
	anyRole     = auth.Roles
)

// secureHeaders sets the headers every response carries.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Strict-Transport-Security", "max-age=31536000")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if h.Get("Cache-Control") == "" {
			h.Set("Cache-Control", "no-store")
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next.ServeHTTP(w, r)
	})
}

// maxBody bounds a request body (forms are small).
const maxBody = 1 << 20

// guard checks the session, the role and, on POST, the CSRF token before
// the route's handler runs: no session sends a page to the sign-in form
// (303) and a POST to 401; a missing role is 403; a POST without the
// session's CSRF token is 403.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.roles == nil {
			rt.public(w, r)
			return
		}
		sess, err := s.session(r)
		if err != nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, nil, http.StatusUnauthorized, "Sign in first.")
			return
		}
		if !slices.ContainsFunc(rt.roles, sess.Has) {
			s.opts.Log.Warn().Str("user", sess.User).Str("path", r.URL.Path).Msg("console: refused, role missing")
			s.fail(w, r, sess, http.StatusForbidden, fmt.Sprintf("This page needs the role %s; you hold %s.",
				joinRoles(rt.roles, " or "), joinRoles(sess.Roles, ", ")))
			return
		}
		if rt.needsCases && s.opts.Cases == nil {
			s.fail(w, r, sess, http.StatusServiceUnavailable, "This console serves no cases (no case store configured).")
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				s.fail(w, r, sess, http.StatusBadRequest, "The form could not be read.")
				return
			}
			if !sess.CheckCSRF(r.PostForm.Get("csrf")) {
				s.opts.Log.Warn().Str("user", sess.User).Str("path", r.URL.Path).Msg("console: refused, CSRF token missing or wrong")
				s.fail(w, r, sess, http.StatusForbidden, "The form's security token is missing or out of date: reload the page and try again.")
				return
			}
		}
		rt.h(w, r, sess)
	})
}

// session returns the request's live session. A local user disabled or
// removed since sign-in has no session any more, and one whose roles
// changed gets the new ones.
func (s *Server) session(r *http.Request) (*auth.Session, error) {
	c, err := r.Cookie(auth.CookieName)
	if err != nil {
		return nil, auth.ErrNoSession
	}
	sess, err := s.opts.Sessions.Get(c.Value)
	if err != nil {
		return nil, err
	}
	if sess.Local {
		u, err := s.opts.Users.Get(sess.User)
		if err != nil || u.Disabled {
			s.opts.Sessions.Delete(c.Value)
			return nil, auth.ErrNoSession
		}
		sess.Roles = u.Roles
	}
	return sess, nil
}

func joinRoles(rs []auth.Role, sep string) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return strings.Join(names, sep)
}

// clientAddr is the request's peer address without the port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// audit records e for the request, filling the address; it logs and
// returns the error of a record that could not be stored.
func (s *Server) audit(r *http.Request, e AuditEvent) error {
	e.Addr = clientAddr(r)
	if err := s.opts.Audit.Record(r.Context(), e); err != nil {
		s.opts.Log.Error().Err(err).Str("user", e.User).Str("action", e.Action).Msg("console: audit record not stored")
		return fmt.Errorf("recording the audit: %w", err)
	}
	return nil
}
