package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/counternet/counternet/internal/auth"
	"github.com/counternet/counternet/internal/console"
)

// ConsoleUsers are the console users `counternet demo --keep` makes, each
// with a password it generates and prints.
var ConsoleUsers = []struct {
	Name  string
	Roles []auth.Role
	What  string
}{
	{"investigator", []auth.Role{auth.Investigator, auth.Analyst}, "cases, watchlists, export requests"},
	{"approver", []auth.Role{auth.Approver, auth.Analyst}, "reviews and approves export requests"},
}

// serveConsole serves the investigators' console over the demo's
// warehouse until ctx ends, with the demo partner and sending agency for
// its exports and the demo users, and prints its URL and the logins. The
// channel returns Serve's error once it stopped.
func (e *Env) serveConsole(ctx context.Context, out io.Writer, files *ExportFiles) (<-chan error, error) {
	cfg := *e.Stack.Cfg
	cfg.Partners = files.Partners
	cfg.Export.Agency, cfg.Export.Country, cfg.Export.Contact = DemoSender.Agency, DemoSender.Country, DemoSender.Contact
	users := auth.OpenUsers(auth.UsersFile(cfg.DataDir))
	var logins []string
	for _, u := range ConsoleUsers {
		pw, err := auth.RandomPassword()
		if err != nil {
			return nil, err
		}
		err = users.Add(u.Name, u.Roles, pw)
		if errors.Is(err, auth.ErrUserExists) { // a kept data dir (--data): new passwords
			if err = users.SetRoles(u.Name, u.Roles); err == nil {
				err = users.Reset(u.Name, pw)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("demo console users: %w", err)
		}
		logins = append(logins, fmt.Sprintf("  sign in as %-12s password %s   (%s: %s)", u.Name, pw, auth.JoinRoles(u.Roles), u.What))
	}
	addr := cfg.Console.Addr
	if ln, err := net.Listen("tcp", addr); err != nil {
		addr = "127.0.0.1:0" // the configured port is taken: any free one
	} else {
		ln.Close()
	}
	ready := make(chan [2]string, 1)
	done := make(chan error, 1)
	go func() {
		done <- console.Serve(ctx, &cfg, e.Stack.DB, e.log, console.ServeOptions{Addr: addr, Version: "demo",
			Ready: func(url, fp string) { ready <- [2]string{url, fp} }})
	}()
	select {
	case r := <-ready:
		fmt.Fprintf(out, "the investigators' console: %s\n  (a self-signed certificate, sha256 %s)\n", r[0], r[1])
		for _, l := range logins {
			fmt.Fprintln(out, l)
		}
		fmt.Fprintln(out)
		return done, nil
	case err := <-done:
		return nil, fmt.Errorf("demo console: %w", err)
	}
}
