package console

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/auth"
)

// TestPagesParse parses every template and renders the start page.
func TestPagesParse(t *testing.T) {
	p, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"login", "error", "home", "search", "vendor", "listing", "evidence", "routes", "users", "ops",
		"cases", "case", "alerts", "exports", "export", "continue", "statement"} {
		if p.byName[name] == nil {
			t.Errorf("no page %s", name)
		}
	}
	s := &Server{pages: p}
	rec := httptest.NewRecorder()
	sess := &auth.Session{User: "ann", Roles: []auth.Role{auth.Analyst}, CSRF: "tok"}
	s.render(rec, httptest.NewRequest("GET", "/", nil), sess, "home", "counternet", homeData{NewAlerts: 2})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `name="csrf" value="tok"`) || strings.Contains(rec.Body.String(), "<script") ||
		!strings.Contains(rec.Body.String(), "2 new alert(s)") {
		t.Errorf("%d\n%s", rec.Code, rec.Body)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/vendor/a/b": "/vendor/a/b", "//evil.example": "/", "https://evil.example/": "/",
		"/\\evil": "/", "": "/", "/x\r\nSet-Cookie: a=b": "/"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
