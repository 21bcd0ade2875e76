package demo

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/links"
	"github.com/counternet/counternet/internal/stack"
	"github.com/counternet/counternet/internal/warehouse"
)

// Options change what Run does.
type Options struct {
	Seed int64
	// Keep leaves the servers running after the summary until ctx ends,
	// and prints the environment lines that point other commands at them.
	Keep bool
	Out  io.Writer
	// Progress, when set, receives progress lines while collecting.
	Progress io.Writer
}

// Run is `counternet demo`: start, collect, load, follow the money on the
// fixture chain, summarize, export for the demo partner. The last line it
// prints states the listings loaded and the time taken; with Keep, the
// environment lines and commands that reach what it started come before.
// Without Keep it prints no address of a server, since they all stop.
func Run(ctx context.Context, cfg *config.Config, opts Options, log zerolog.Logger) error {
	start := time.Now()
	out := opts.Out
	fmt.Fprintf(out, "counternet demo: fixture markets (seed %d) behind a local SOCKS5 proxy → embedded NATS JetStream → ClickHouse; a fixture chain as an Esplora server\n", opts.Seed)
	e, err := Start(ctx, cfg, opts.Seed, log)
	if err != nil {
		return err
	}
	defer e.Close(context.Background())
	for _, m := range e.World.AllMarkets() {
		fmt.Fprintf(out, "  market %-9s http://%s  %d listings, %d vendors\n", m.Name, m.Host, len(m.Listings), len(m.Vendors))
	}
	for _, f := range e.World.Forums {
		fmt.Fprintf(out, "  forum  %-9s http://%s  %d threads\n", f.Name, f.Host, len(f.Threads))
	}
	fmt.Fprintln(out)

	flush := func() {}
	if opts.Progress != nil {
		e.Stack.OnFetch, flush = stack.Progress(opts.Progress, 2*time.Second)
	}
	reports, cerr := e.Collect(ctx)
	flush()
	for _, r := range reports {
		if r != nil {
			fmt.Fprintf(out, "collected %s\n", r.Summary())
		}
	}
	if cerr != nil {
		return cerr
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := e.WaitLoaded(wctx); err != nil {
		return err
	}
	var runIDs []string
	for _, r := range reports {
		runIDs = append(runIDs, r.RunID)
	}
	loaded, err := e.Stack.DB.CountListingsOfRuns(ctx, runIDs)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "loaded %d events into ClickHouse\n", e.loader.Stats().Loaded)
	cr, err := e.SyncChain(ctx)
	if err != nil {
		return err
	}
	s := cr.Sync
	fmt.Fprintf(out, "chain: %d of %d fixture-chain transactions synced for %d addresses seen (%d asked, %d hops); %d exchange tags (invented), %d clusters, %d flow hops traced\n\n",
		s.TxsInserted, e.ChainServer.Len(), s.Seeds, s.Addresses, chainHops, cr.Tags, cr.Clusters, cr.Flows)
	if err := e.resolveIdentities(ctx, out); err != nil {
		return err
	}
	sum, err := e.Stack.DB.Summary(ctx)
	if err != nil {
		return err
	}
	if err := sum.Print(out); err != nil {
		return err
	}
	files, _, err := ExportDemo(ctx, e, out)
	if err != nil {
		return err
	}
	generated := Listings(e.World)
	if loaded != generated {
		err = fmt.Errorf("demo: %d listings loaded, but the fixture markets hold %d", loaded, generated)
	}
	var consoleDone <-chan error
	if err == nil && opts.Keep {
		if herr := e.handOver(ctx, out, files); herr != nil {
			return herr
		}
		if consoleDone, err = e.serveConsole(ctx, out, files); err != nil {
			return err
		}
	} else if err == nil {
		fmt.Fprintln(out, "\nthe demo's servers stop now; `counternet demo --keep` leaves them running and prints how to reach them")
	}
	fmt.Fprintf(out, "listings loaded: %d of %d generated, in %s\n", loaded, generated, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return err
	}
	if opts.Keep {
		<-ctx.Done()
		if err := <-consoleDone; err != nil {
			return err
		}
	}
	return nil
}

// EnvLines are the environment lines that point counternet's commands at
// a running demo: its ClickHouse (database included), its NATS server and
// its data directory (captures, keys, audit log).
func (e *Env) EnvLines() ([]string, error) {
	dataDir, err := filepath.Abs(e.Stack.Cfg.DataDir)
	if err != nil {
		return nil, err
	}
	// The servers admit only their users: the lines name the user and the
	// 0600 file holding its password, never the password itself.
	dsn, natsURL := redactDSN(e.DSN), withoutUser(e.Stack.NATSURL())
	lines := []string{}
	if e.local != nil {
		dsn = "clickhouse://" + warehouse.WriterUser + "@" + e.local.Addr() + "/" + e.Stack.Cfg.ClickHouse.Database
		lines = append(lines, config.EnvClickHouseDSN+"="+dsn,
			config.EnvClickHousePW+"="+e.local.PasswordFile(warehouse.WriterUser))
	} else {
		lines = append(lines, config.EnvClickHouseDSN+"="+dsn)
	}
	lines = append(lines, config.EnvNATSURL+"="+natsURL)
	if e.Stack.Cfg.NATS.Embedded() {
		pw, err := filepath.Abs(bus.UsersFile(e.Stack.SecretsDir(), bus.RoleService))
		if err != nil {
			return nil, err
		}
		lines = append(lines, config.EnvNATSUser+"="+bus.RoleService, config.EnvNATSPassword+"="+pw)
	}
	return append(lines, config.EnvDataDir+"="+dataDir), nil
}

// withoutUser leaves user and password out of a URL.
func withoutUser(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// redactDSN leaves a password out of a DSN that carries one.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); !ok {
		return dsn
	}
	u.User = url.UserPassword(u.User.Username(), "PASSWORD")
	return strings.Replace(u.String(), "PASSWORD", "$CLICKHOUSE_PASSWORD", 1)
}

// handOver prints what an analyst pastes into another shell to work with
// the running demo, and commands that then work against it: a saved query,
// the evidence of a listing, an export for the demo partner, the chain.
func (e *Env) handOver(ctx context.Context, out io.Writer, files *ExportFiles) error {
	lines, err := e.EnvLines()
	if err != nil {
		return err
	}
	var sha, listing string
	if err := e.Stack.DB.Conn().QueryRow(ctx, `SELECT capture_sha256, concat(source, '/', listing_id) FROM listing_current
		ORDER BY source, listing_id LIMIT 1`).Scan(&sha, &listing); err != nil {
		return fmt.Errorf("demo: finding a capture to show: %w", err)
	}
	cn := commandName()
	pkg := filepath.Join(filepath.Dir(files.Package), "my-package.cnpkg")
	fmt.Fprintf(out, "\nthe demo's servers stay up until Ctrl-C. In another shell, point counternet at them:\n\n")
	for _, l := range lines {
		fmt.Fprintf(out, "export %s\n", l)
	}
	fmt.Fprintf(out, "\nthen, for example:\n\n")
	fmt.Fprintf(out, "%s query top-routes\n", cn)
	fmt.Fprintf(out, "%s query vendors-shipping-into --param country=%s\n", cn, DemoPartner.Country)
	fmt.Fprintf(out, "%s query crypto-reuse\n", cn)
	fmt.Fprintf(out, "%s query chain-flows-to-services --param country=%s\n", cn, DemoPartner.Country)
	fmt.Fprintf(out, "%s capture show --head %s    # the page of listing %s\n", cn, sha, listing)
	fmt.Fprintf(out, "%s export --config %s --partner %s --jurisdiction %s --minimize %s --tlp amber --purpose %q --legal-basis %q -o %s\n",
		cn, files.Config, DemoPartner.ID, DemoPartner.Country, strings.Join(demoMinimize, ","), demoPurpose, demoLegalBasis, pkg)
	fmt.Fprintf(out, "%s chain sync --sources %s --hops %d --tags %s\n", cn, e.SourcesFile(), chainHops, e.TagDir())
	if cmd := e.ClientCommand(); cmd != "" {
		fmt.Fprintf(out, "%s\n", cmd)
	}
	fmt.Fprintln(out)
	return nil
}

// commandName is how the printed commands name counternet: the absolute
// path of the running binary when it is counternet (`make demo` runs
// bin/counternet, which is on no PATH) and the path needs no quoting,
// else "counternet".
func commandName() string {
	exe, err := os.Executable()
	if err != nil || filepath.Base(exe) != "counternet" || strings.ContainsAny(exe, " \t\"'$\\") {
		return "counternet"
	}
	return exe
}

// resolveIdentities runs a links build over what was loaded (as `counternet
// links build` does), so the profile, the export and the queries show the
// identity model's probabilities, and says what it found.
func (e *Env) resolveIdentities(ctx context.Context, out io.Writer) error {
	m, err := links.DefaultModel()
	if err != nil {
		return err
	}
	res, n, err := links.Build(ctx, e.Stack.DB.Conn(), m, links.Options{}, time.Now())
	if err != nil {
		return fmt.Errorf("demo: identity resolution: %w", err)
	}
	st := res.Stats
	fmt.Fprintf(out, "identities: %d vendor accounts, %d candidate pairs, %d scored pairs written, %d linked in %d clusters (model %s, threshold %.2f)\n\n",
		st.Accounts, st.BlockStats.Candidates, n, st.Linked, st.Clusters, m.Version, m.Threshold)
	for _, l := range st.Capped.Lines() {
		fmt.Fprintf(out, "  %s\n", l)
	}
	return nil
}
