package auth_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/auth"
)

var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}

func TestUsersFile(t *testing.T) {
	path := auth.UsersFile(t.TempDir())
	u := auth.OpenUsers(path)
	u.SetParams(cheap)
	if err := u.Add("alice", []auth.Role{auth.Investigator}, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := u.Add("alice", []auth.Role{auth.Analyst}, "correct horse battery"); !errors.Is(err, auth.ErrUserExists) {
		t.Fatalf("second add: %v, want ErrUserExists", err)
	}
	for _, bad := range []struct{ name, pw string }{{"Bob", "long enough password"}, {"bob", "short"}, {"", "long enough password"}} {
		if err := u.Add(bad.name, []auth.Role{auth.Analyst}, bad.pw); err == nil {
			t.Errorf("add %q/%q: no error", bad.name, bad.pw)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("users file mode %04o, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "correct horse") || !strings.Contains(string(data), "$argon2id$v=19$") {
		t.Errorf("users file holds no argon2id hash or the password itself:\n%s", data)
	}
	// Another process's view: a second store over the same file.
	other := auth.OpenUsers(path)
	if usr, err := other.Authenticate("alice", "correct horse battery"); err != nil || !usr.Has(auth.Investigator) || usr.Hash != "" {
		t.Fatalf("authenticate: %+v, %v", usr, err)
	}
	if _, err := other.Authenticate("alice", "wrong horse battery"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := other.Authenticate("nobody", "correct horse battery"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("unknown user: %v", err)
	}
	if err := u.Disable("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate("alice", "correct horse battery"); !errors.Is(err, auth.ErrDisabled) {
		t.Errorf("disabled user: %v", err)
	}
	if err := u.Reset("alice", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate("alice", "a brand new password"); err != nil {
		t.Errorf("after reset: %v", err)
	}
	if err := u.Disable("nobody"); !errors.Is(err, auth.ErrNoUser) {
		t.Errorf("disable unknown: %v", err)
	}
	list, err := u.List()
	if err != nil || len(list) != 1 || list[0].Name != "alice" || list[0].Hash != "" {
		t.Errorf("list: %+v, %v", list, err)
	}
	// A file others may read is refused, not used.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.OpenUsers(path).List(); !errors.Is(err, auth.ErrUnsafeFile) {
		t.Errorf("mode 0644: %v, want ErrUnsafeFile", err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".console-users-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestHashVerify(t *testing.T) {
	h, err := auth.Hash("a password of twelve", auth.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := auth.Verify("a password of twelve", h); !ok || err != nil {
		t.Errorf("verify: %v %v", ok, err)
	}
	if ok, _ := auth.Verify("a password of twelvf", h); ok {
		t.Error("wrong password verified")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5"} {
		if _, err := auth.Verify("x", bad); !errors.Is(err, auth.ErrBadHash) {
			t.Errorf("verify %q: %v, want ErrBadHash", bad, err)
		}
	}
}

func TestSessionsExpire(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := auth.NewSessions(10*time.Minute, time.Hour)
	s.Now = func() time.Time { return now }
	id, sess, err := s.Create("alice", []auth.Role{auth.Analyst}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) < 43 || sess.CSRF == "" || sess.CSRF == id {
		t.Fatalf("id %q csrf %q", id, sess.CSRF)
	}
	for i := 0; i < 5; i++ { // used every 9 minutes: alive for 45 minutes
		now = now.Add(9 * time.Minute)
		if _, err := s.Get(id); err != nil {
			t.Fatalf("after %d uses: %v", i, err)
		}
	}
	now = now.Add(9 * time.Minute) // 54 minutes
	if _, err := s.Get(id); err != nil {
		t.Fatal(err)
	}
	now = now.Add(7 * time.Minute) // 61 minutes: past the absolute limit
	if _, err := s.Get(id); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("absolute expiry: %v", err)
	}
	id2, _, _ := s.Create("bob", nil, true)
	now = now.Add(11 * time.Minute)
	if _, err := s.Get(id2); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("idle expiry: %v", err)
	}
	c := s.Cookie("x")
	if !c.Secure || !c.HttpOnly || c.SameSite != 3 || c.Path != "/" || !strings.HasPrefix(c.Name, "__Host-") {
		t.Errorf("cookie %+v", c)
	}
	if !sess.CheckCSRF(sess.CSRF) || sess.CheckCSRF("") || sess.CheckCSRF(sess.CSRF+"x") {
		t.Error("CheckCSRF")
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := auth.NewLimiter(3, 5, 15*time.Minute)
	l.Now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("alice", "10.0.0.1"); !ok {
			t.Fatalf("try %d refused", i)
		}
		l.Fail("alice", "10.0.0.1")
	}
	if ok, wait := l.Allow("alice", "10.0.0.2"); ok || wait != 15*time.Minute {
		t.Errorf("4th try for alice: %v %v", ok, wait)
	}
	// The address: two more failures on other users reach its limit.
	l.Fail("bob", "10.0.0.1")
	l.Fail("carol", "10.0.0.1")
	if ok, _ := l.Allow("dave", "10.0.0.1"); ok {
		t.Error("address over its limit allowed")
	}
	now = now.Add(15 * time.Minute)
	if ok, _ := l.Allow("alice", "10.0.0.3"); !ok {
		t.Error("alice still refused after the window")
	}
}

func TestParseRoles(t *testing.T) {
	rs, err := auth.ParseRoles("approver, analyst,approver")
	if err != nil || auth.JoinRoles(rs) != "analyst,approver" {
		t.Errorf("%v %v", rs, err)
	}
	for _, bad := range []string{"", "root", "analyst,root"} {
		if _, err := auth.ParseRoles(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
