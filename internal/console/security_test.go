package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/console"
)

var reParam = regexp.MustCompile(`\{[a-z]+\}`)

// concrete fills a route pattern's parameters.
func concrete(pattern string) string {
	return reParam.ReplaceAllStringFunc(pattern, func(p string) string {
		if p == "{sha}" {
			return strings.Repeat("ab", 32)
		}
		return "x"
	})
}

// TestRoutesRefuseRoles signs in as a user of each single role and
// requests every route of the route table: a role the route does not admit
// gets 403 (a POST carrying a valid CSRF token, so the role alone refuses
// it), a role it admits does not.
func TestRoutesRefuseRoles(t *testing.T) {
	if testing.Short() {
		t.Skip("needs ClickHouse")
	}
	tc := newTestConsole(t, console.Options{})
	csrf := map[auth.Role]string{}
	clients := map[auth.Role]*client{}
	for _, r := range auth.Roles {
		c := tc.client(t)
		csrf[r] = c.login(string(r))
		clients[r] = c
	}
	checked := 0
	for _, rt := range tc.srv.Routes() {
		if rt.Roles == nil || rt.Pattern == "/logout" {
			continue
		}
		path := concrete(rt.Pattern)
		for _, r := range auth.Roles {
			var form url.Values
			if rt.Method == "POST" {
				form = url.Values{"csrf": {csrf[r]}}
			}
			resp, body := clients[r].do(rt.Method, path, form)
			allowed := slices.Contains(rt.Roles, r)
			if !allowed && resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s as %s: %d, want 403", rt.Method, path, r, resp.StatusCode)
			}
			if allowed && resp.StatusCode == http.StatusForbidden {
				t.Errorf("%s %s as %s (admitted): 403\n%s", rt.Method, path, r, body)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Fatalf("only %d requests checked", checked)
	}
	t.Logf("%d route and role pairs checked", checked)
	// Without a session: a page goes to the sign-in form, a POST is 401.
	anon := tc.client(t)
	if resp, _ := anon.do("GET", "/search?q=abc", nil); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("anonymous GET: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := anon.do("POST", "/admin/users", url.Values{"name": {"eve"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous POST: %d", resp.StatusCode)
	}
}

// TestCSRF: a POST without the session's token, or with another session's,
// is refused and changes nothing.
func TestCSRF(t *testing.T) {
	if testing.Short() {
		t.Skip("needs ClickHouse")
	}
	tc := newTestConsole(t, console.Options{})
	admin := tc.client(t)
	token := admin.login("admin")
	other := tc.client(t)
	otherToken := other.login("admin")
	for _, form := range []url.Values{
		{"name": {"mallory"}, "password": {testPassword}, "role": {"admin"}},
		{"name": {"mallory"}, "password": {testPassword}, "role": {"admin"}, "csrf": {""}},
		{"name": {"mallory"}, "password": {testPassword}, "role": {"admin"}, "csrf": {otherToken}},
		{"name": {"mallory"}, "password": {testPassword}, "role": {"admin"}, "csrf": {token + "x"}},
	} {
		resp, _ := admin.do("POST", "/admin/users", form)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST with csrf %q: %d, want 403", form.Get("csrf"), resp.StatusCode)
		}
	}
	if _, err := tc.users.Get("mallory"); err == nil {
		t.Fatal("a POST without a valid CSRF token added a user")
	}
	resp, body := admin.do("POST", "/admin/users", url.Values{"name": {"mallory"}, "password": {testPassword}, "role": {"analyst"}, "csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST with the token: %d\n%s", resp.StatusCode, body)
	}
	if u, err := tc.users.Get("mallory"); err != nil || !u.Has(auth.Analyst) {
		t.Errorf("user not added: %+v %v", u, err)
	}
	// The sign-in form has a token of its own.
	anon := tc.client(t)
	if resp, _ := anon.do("POST", "/login", url.Values{"user": {"admin"}, "password": {testPassword}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without its token: %d, want 403", resp.StatusCode)
	}
}

// TestSessionsAndHeaders: the cookie's flags, the security headers on
// every response, sign-out, a disabled user's session, sign-in limits.
func TestSessionsAndHeaders(t *testing.T) {
	if testing.Short() {
		t.Skip("needs ClickHouse")
	}
	tc := newTestConsole(t, console.Options{})
	c := tc.client(t)
	resp, _ := c.do("POST", "/login", c.loginForm("analyst", testPassword))
	var cookie string
	for _, v := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, auth.CookieName+"=") {
			cookie = v
		}
	}
	for _, flag := range []string{"Secure", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(cookie, flag) {
			t.Errorf("session cookie %q lacks %s", cookie, flag)
		}
	}
	if !tc.audit.has("analyst", "login", "") {
		t.Error("sign-in not audited")
	}
	for _, p := range []string{"/", "/login", "/search", "/nowhere", "/static/console.css"} {
		resp, _ := c.do("GET", p, nil)
		if got := resp.Header.Get("Content-Security-Policy"); got != console.CSP {
			t.Errorf("GET %s: CSP %q", p, got)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: headers %v", p, resp.Header)
		}
	}
	// Disabling the user ends its session at the next request.
	if err := tc.users.Disable("analyst"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := c.do("GET", "/search", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("disabled user's session still works: %d", resp.StatusCode)
	}
	// Sign-out ends the session.
	c2 := tc.client(t)
	token := c2.login("investigator")
	if resp, _ := c2.do("POST", "/logout", url.Values{"csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %d", resp.StatusCode)
	}
	if resp, _ := c2.do("GET", "/search", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", resp.StatusCode)
	}
	// Five wrong passwords, then even the right one is refused.
	c3 := tc.client(t)
	for i := 0; i < 5; i++ {
		if resp, _ := c3.do("POST", "/login", c3.loginForm("approver", "wrong password here")); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("wrong password %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := c3.do("POST", "/login", c3.loginForm("approver", testPassword))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed sign-ins") {
		t.Errorf("sixth try: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// An open redirect through next is not possible.
	c4 := tc.client(t)
	form := c4.loginForm("operator", testPassword)
	form.Set("next", "//evil.example/")
	if resp, _ := c4.do("POST", "/login", form); resp.Header.Get("Location") != "/" {
		t.Errorf("next=//evil.example/ sent to %q", resp.Header.Get("Location"))
	}
}
