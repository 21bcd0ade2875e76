package console_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/cases"
	"github.com/counternet/counternet/internal/console"
	"github.com/counternet/counternet/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// testPassword is every test user's password.
const testPassword = "correct horse battery staple"

// auditLog keeps the audit events of a test console in memory.
type auditLog struct {
	mu     sync.Mutex
	events []console.AuditEvent
}

func (a *auditLog) Record(_ context.Context, e console.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
	return nil
}

func (a *auditLog) has(user, action, object string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.events {
		if e.User == user && e.Action == action && (object == "" || e.Object == object) {
			return true
		}
	}
	return false
}

// testConsole is a console over a migrated test database, served over TLS
// by httptest, with one user per role (named after it) and "all".
type testConsole struct {
	srv   *console.Server
	ts    *httptest.Server
	users *auth.Users
	audit *auditLog
}

func newTestConsole(t *testing.T, opts console.Options) *testConsole {
	t.Helper()
	if opts.Conn == nil {
		db := testenv.ClickHouse(t)
		opts.Conn = db.Conn()
		opts.Cases = &cases.Service{DB: db, ExportDir: t.TempDir(), Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)}
	}
	users := auth.OpenUsers(auth.UsersFile(t.TempDir()))
	users.SetParams(auth.Params{Memory: 64, Time: 1, Threads: 1})
	for _, r := range auth.Roles {
		if err := users.Add(string(r), []auth.Role{r}, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	if err := users.Add("all", auth.Roles, testPassword); err != nil {
		t.Fatal(err)
	}
	al := &auditLog{}
	opts.Users, opts.Audit = users, al
	if opts.Sessions == nil {
		opts.Sessions = auth.NewSessions(30*time.Minute, 12*time.Hour)
	}
	if opts.Limiter == nil {
		opts.Limiter = auth.NewLimiter(5, 20, 15*time.Minute)
	}
	opts.Log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	srv, err := console.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &testConsole{srv: srv, ts: ts, users: users, audit: al}
}

// client is a browser-like client: a cookie jar, no redirects followed.
type client struct {
	t    *testing.T
	tc   *testConsole
	http *http.Client
}

func (tc *testConsole) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: time.Minute,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &client{t: t, tc: tc, http: hc}
}

func (c *client) do(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.tc.ts.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp, string(b)
}

var (
	reToken = regexp.MustCompile(`name="token" value="([^"]+)"`)
	reCSRF  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// login signs in as user and returns the session's CSRF token.
func (c *client) login(user string) string {
	c.t.Helper()
	resp, body := c.do("POST", "/login", c.loginForm(user, testPassword))
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login %s: %d\n%s", user, resp.StatusCode, body)
	}
	return c.csrf()
}

func (c *client) loginForm(user, pw string) url.Values {
	c.t.Helper()
	_, page := c.do("GET", "/login", nil)
	m := reToken.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no token in the login form:\n%s", page)
	}
	return url.Values{"token": {m[1]}, "user": {user}, "password": {pw}, "next": {"/"}}
}

// csrf reads the session's CSRF token from the start page.
func (c *client) csrf() string {
	c.t.Helper()
	_, page := c.do("GET", "/", nil)
	m := reCSRF.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no csrf token on the start page:\n%s", page)
	}
	return m[1]
}
