package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/auth"
)

// TestUsersCommands adds, lists, disables and resets console users on the
// command line; the passwords it prints sign in.
func TestUsersCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("COUNTERNET_DATA_DIR", dir)
	cmd := func(in string, args ...string) (int, string, string) {
		stdin = strings.NewReader(in)
		defer func() { stdin = os.Stdin }()
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"users"}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := cmd("", "add", "alice", "--roles", "investigator,analyst")
	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("users add: %d\n%s%s", code, out, errOut)
	}
	users := auth.OpenUsers(auth.UsersFile(dir))
	if u, err := users.Authenticate("alice", m[1]); err != nil || !u.Has(auth.Investigator) || !u.Has(auth.Analyst) {
		t.Fatalf("the printed password: %+v %v", u, err)
	}
	if code, out, _ := cmd("a password from stdin\n", "add", "Bob", "--roles", "approver", "--password-stdin"); code != 0 || strings.Contains(out, "password:") {
		t.Fatalf("users add --password-stdin: %d\n%s", code, out)
	}
	if _, err := users.Authenticate("bob", "a password from stdin"); err != nil {
		t.Errorf("bob: %v", err)
	}
	for _, bad := range [][]string{{"add", "carol"}, {"add", "carol", "--roles", "root"}, {"add", "--roles", "analyst"}, {"disable"}} {
		if code, _, _ := cmd("", bad...); code != 2 {
			t.Errorf("users %v: exit %d, want 2", bad, code)
		}
	}
	if code, _, errOut := cmd("", "add", "alice", "--roles", "analyst"); code != 1 || !strings.Contains(errOut, "user exists") {
		t.Errorf("second add: %d %s", code, errOut)
	}
	if code, _, _ := cmd("", "disable", "alice"); code != 0 {
		t.Fatal("disable")
	}
	_, out, _ = cmd("", "list")
	if !regexp.MustCompile(`alice\s+analyst,investigator\s+disabled`).MatchString(out) || !regexp.MustCompile(`bob\s+approver\s+active`).MatchString(out) {
		t.Errorf("users list:\n%s", out)
	}
	code, out, _ = cmd("", "reset", "alice", "--roles", "analyst")
	m = regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("reset: %d %s", code, out)
	}
	if u, err := users.Authenticate("alice", m[1]); err != nil || u.Has(auth.Investigator) {
		t.Errorf("after reset: %+v %v", u, err)
	}
	fi, err := os.Stat(auth.UsersFile(dir))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("users file: %v %v", fi, err)
	}
}
