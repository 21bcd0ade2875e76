package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/counternet/counternet/internal/auth"
)

// stdin is where --password-stdin reads (tests replace it).
var stdin io.Reader = os.Stdin

// usersFlags parses a users subcommand: its flags and one user name
// (unless noName), in any order.
func usersFlags(name string, args []string, stderr io.Writer, noName bool, extra func(*common)) (*common, string, error) {
	f := newFlags("users "+name, stderr)
	if extra != nil {
		extra(f)
	}
	pos, err := parseInterspersed(f.fs, args)
	if err != nil {
		return nil, "", err
	}
	switch {
	case noName && len(pos) > 0:
		return nil, "", usageErr("unexpected argument %q", pos[0])
	case noName:
		return f, "", nil
	case len(pos) != 1:
		return nil, "", usageErr("name one user")
	}
	return f, strings.ToLower(pos[0]), nil
}

func openUsers(f *common) (*auth.Users, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, err
	}
	return auth.OpenUsers(auth.UsersFile(cfg.DataDir)), nil
}

// newPassword reads a password from stdin (one line) when fromStdin, else
// makes a random one; generated says which.
func newPassword(fromStdin bool) (pw string, generated bool, err error) {
	if !fromStdin {
		pw, err := auth.RandomPassword()
		return pw, true, err
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, auth.MaxPassword+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("reading the password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

// runUsersAdd is `counternet users add NAME --roles R[,R...]`.
func runUsersAdd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var roles *string
	var fromStdin *bool
	f, name, err := usersFlags("add", args, stderr, false, func(f *common) {
		roles = f.fs.String("roles", "", "roles, comma separated: "+auth.RoleNames()+" (required)")
		fromStdin = f.fs.Bool("password-stdin", false, "read the password from the first line of stdin (default: generate one and print it)")
	})
	if err != nil {
		return err
	}
	rs, err := auth.ParseRoles(*roles)
	if err != nil {
		return usageErr("--roles: %v", err)
	}
	u, err := openUsers(f)
	if err != nil {
		return err
	}
	pw, generated, err := newPassword(*fromStdin)
	if err != nil {
		return err
	}
	if err := u.Add(name, rs, pw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s added (%s) to %s\n", name, auth.JoinRoles(rs), u.Path())
	if generated {
		fmt.Fprintf(stdout, "password: %s\n(shown once: hand it over in person; `counternet users reset %s` makes a new one)\n", pw, name)
	}
	return nil
}

// runUsersDisable is `counternet users disable NAME`.
func runUsersDisable(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f, name, err := usersFlags("disable", args, stderr, false, nil)
	if err != nil {
		return err
	}
	u, err := openUsers(f)
	if err != nil {
		return err
	}
	if err := u.Disable(name); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s disabled: it can no longer sign in, and its sessions end at their next request\n", name)
	return nil
}

// runUsersReset is `counternet users reset NAME`: a new password, and the
// user enabled again.
func runUsersReset(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var roles *string
	var stdinFlag *bool
	f, name, err := usersFlags("reset", args, stderr, false, func(f *common) {
		stdinFlag = f.fs.Bool("password-stdin", false, "read the new password from the first line of stdin (default: generate one and print it)")
		roles = f.fs.String("roles", "", "replace the user's roles too (comma separated)")
	})
	if err != nil {
		return err
	}
	u, err := openUsers(f)
	if err != nil {
		return err
	}
	if *roles != "" {
		rs, err := auth.ParseRoles(*roles)
		if err != nil {
			return usageErr("--roles: %v", err)
		}
		if err := u.SetRoles(name, rs); err != nil {
			return err
		}
	}
	pw, generated, err := newPassword(*stdinFlag)
	if err != nil {
		return err
	}
	if err := u.Reset(name, pw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s: new password set, account enabled\n", name)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n", pw)
	}
	return nil
}

// runUsersList is `counternet users list`.
func runUsersList(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f, _, err := usersFlags("list", args, stderr, true, nil)
	if err != nil {
		return err
	}
	u, err := openUsers(f)
	if err != nil {
		return err
	}
	us, err := u.List()
	if err != nil {
		return err
	}
	if len(us) == 0 {
		fmt.Fprintf(stdout, "no users in %s (counternet users add NAME --roles ... adds one)\n", u.Path())
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tROLES\tSTATE\tCREATED\tCHANGED")
	for _, x := range us {
		state := "active"
		if x.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.Name, auth.JoinRoles(x.Roles), state,
			x.Created.UTC().Format("2006-01-02 15:04"), x.Changed.UTC().Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}
