package console

// routeTable is every route of the console and the roles that may use it.
// A role not listed gets 403 (TestRoutesRefuseRoles walks this table).
func (s *Server) routeTable() []route {
	return []route{
		{method: "GET", pattern: "/login", public: s.loginForm},
		{method: "POST", pattern: "/login", public: s.login},
		{method: "GET", pattern: "/static/console.css", public: s.serveCSS},
		{method: "GET", pattern: "/auth/oidc/login", public: s.oidcLogin},
		{method: "GET", pattern: "/auth/oidc/callback", public: s.oidcCallback},
		{method: "POST", pattern: "/logout", roles: anyRole, h: s.logout},

		{method: "GET", pattern: "/search", roles: readRoles, h: s.search},
		{method: "GET", pattern: "/vendor/{market}/{handle}", roles: readRoles, h: s.vendor},
		{method: "GET", pattern: "/listing/{market}/{id}", roles: readRoles, h: s.listing},
		{method: "GET", pattern: "/evidence/{sha}", roles: readRoles, h: s.evidence},
		{method: "GET", pattern: "/evidence/{sha}/statement", roles: readRoles, h: s.statement},
		{method: "GET", pattern: "/routes", roles: readRoles, h: s.routesPage},

		{method: "GET", pattern: "/cases", roles: caseRoles, h: s.casesList, needsCases: true},
		{method: "POST", pattern: "/cases", roles: investigate, h: s.caseCreate, needsCases: true},
		{method: "GET", pattern: "/cases/{id}", roles: caseRoles, h: s.caseView, needsCases: true},
		{method: "POST", pattern: "/cases/{id}/notes", roles: investigate, h: s.caseNote, needsCases: true},
		{method: "POST", pattern: "/cases/{id}/members", roles: investigate, h: s.caseMember, needsCases: true},
		{method: "POST", pattern: "/cases/{id}/watch", roles: investigate, h: s.watch, needsCases: true},
		{method: "POST", pattern: "/watch", roles: investigate, h: s.watch, needsCases: true},
		{method: "POST", pattern: "/cases/{id}/alerts/{alert}/status", roles: investigate, h: s.alertStatus, needsCases: true},
		{method: "GET", pattern: "/alerts", roles: caseRoles, h: s.alerts, needsCases: true},
		{method: "POST", pattern: "/cases/{id}/exports", roles: investigate, h: s.exportRequest, needsCases: true},
		{method: "GET", pattern: "/exports", roles: exportRoles, h: s.exportsList, needsCases: true},
		{method: "GET", pattern: "/exports/{id}", roles: exportRoles, h: s.exportView, needsCases: true},
		{method: "POST", pattern: "/exports/{id}/approve", roles: approve, h: s.exportApprove, needsCases: true},
		{method: "POST", pattern: "/exports/{id}/reject", roles: approve, h: s.exportReject, needsCases: true},
		{method: "GET", pattern: "/exports/{id}/download", roles: exportRoles, h: s.exportDownload, needsCases: true},

		{method: "GET", pattern: "/ops", roles: operate, h: s.ops},
		{method: "GET", pattern: "/admin/users", roles: administer, h: s.users},
		{method: "POST", pattern: "/admin/users", roles: administer, h: s.addUser},
		{method: "POST", pattern: "/admin/users/{name}/disable", roles: administer, h: s.disableUser},
	}
}
