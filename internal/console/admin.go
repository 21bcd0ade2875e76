package console

import (
	"net/http"
	"strings"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/cases"
)

type usersData struct {
	Users []auth.User
	Roles []auth.Role
	Error string
}

// users lists the console's local users (admin).
func (s *Server) users(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	s.showUsers(w, r, sess, http.StatusOK, "")
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, sess *auth.Session, status int, msg string) {
	us, err := s.opts.Users.List()
	if err != nil {
		s.failErr(w, r, sess, "reading users", err)
		return
	}
	s.renderStatus(w, r, sess, status, "users", "Users", usersData{Users: us, Roles: auth.Roles, Error: msg})
}

// addUser adds a local user (admin); the password is set by the admin and
// must be changed out of band (`counternet users reset`).
func (s *Server) addUser(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	name := strings.ToLower(strings.TrimSpace(r.PostForm.Get("name")))
	roles, err := auth.ParseRoles(strings.Join(r.PostForm["role"], ","))
	if err == nil {
		err = s.opts.Users.Add(name, roles, r.PostForm.Get("password"))
	}
	if err != nil {
		s.showUsers(w, r, sess, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.audit(r, AuditEvent{User: sess.User, Action: "user_add", Object: name, Detail: auth.JoinRoles(roles)}); err != nil {
		s.failErr(w, r, sess, "auditing", err)
		return
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

// disableUser disables a local user and ends its sessions (admin).
func (s *Server) disableUser(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	name := r.PathValue("name")
	if err := s.opts.Users.Disable(name); err != nil {
		s.showUsers(w, r, sess, http.StatusBadRequest, err.Error())
		return
	}
	s.opts.Sessions.DeleteUser(name)
	if err := s.audit(r, AuditEvent{User: sess.User, Action: "user_disable", Object: name}); err != nil {
		s.failErr(w, r, sess, "auditing", err)
		return
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

// ops shows the crawl health of the last days (operator).
func (s *Server) ops(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	res, err := s.saved(r.Context(), "crawl-health", map[string]string{"days": "7"}, maxTableRows)
	if err != nil {
		s.failErr(w, r, sess, "reading crawl health", err)
		return
	}
	s.render(w, r, sess, "ops", "Sources and runs", asTable(res))
}

// homeData is the start page's: the new alerts of the user's cases.
type homeData struct {
	NewAlerts int
}

// home is the start page: the search form, what the user may open, and
// how many new alerts its cases have.
func (s *Server) home(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	var d homeData
	if s.opts.Cases != nil && (sess.Has(auth.Investigator) || sess.Has(auth.Approver)) {
		as, err := s.opts.Cases.AlertsFor(r.Context(), actor(r, sess), cases.AlertStatusNew)
		if err != nil {
			s.failErr(w, r, sess, "reading alerts", err)
			return
		}
		d.NewAlerts = len(as)
	}
	s.render(w, r, sess, "home", "counternet", d)
}
