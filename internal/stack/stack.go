// Package stack wires counternet's parts from a config for the roles of
// cmd/counternet: it starts (or connects to) NATS JetStream and ClickHouse,
// builds collectors from site files, and builds the loader. It holds no
// logic of the flow itself; each step lives in its own package.
package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/crawl"
	"github.com/counternet/counternet/internal/fetch"
	"github.com/counternet/counternet/internal/images"
	"github.com/counternet/counternet/internal/load"
	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/tor"
	"github.com/counternet/counternet/internal/warehouse"
)

// Need says which servers a role uses.
type Need struct {
	Bus       bool
	Warehouse bool
	// Existing says the role reads (or adds rows to) what another role
	// set up, and changes nothing else: the ClickHouse database is opened
	// without creating it, migrating it or loading reference data and
	// partners (a read-only ClickHouse user suffices), and its schema
	// version is checked (warehouse.ErrSchemaBehind says "run counternet
	// migrate"). A managed server or an embedded NATS is started only on a
	// data dir that already holds its data (ErrNoData otherwise), so a
	// command pointed at nothing says so instead of answering from an
	// empty server. Without it Open migrates and loads reference data: the
	// loader, service, migrate and demo roles.
	Existing bool
	// ClickHouseUser is the user the role logs in as on the managed
	// server (warehouse.LocalUsers): "" is warehouse.WriterUser;
	// warehouse.ExporterUser for export, the only user that may append to
	// the audit database; warehouse.ReadOnlyUser for commands that only
	// read. An external server's user is the one clickhouse.dsn names.
	ClickHouseUser string
}

// ClickHouse users a role may ask for on the managed server
// (Need.ClickHouseUser).
const (
	// ExporterUser is the only user that may append to the audit
	// database: counternet export.
	ExporterUser = warehouse.ExporterUser
	// ReadOnlyUser reads the events and the audit database and changes
	// nothing: counternet query.
	ReadOnlyUser = warehouse.ReadOnlyUser
)

// ErrNoData reports that a command that reads what others stored was
// pointed at a data dir that holds none of it.
var ErrNoData = errors.New("nothing to read")

// Stack is the running parts of one counternet process.
type Stack struct {
	Cfg *config.Config
	Log zerolog.Logger

	Bus *bus.Conn
	DB  *warehouse.DB

	// RunTimeout bounds each collection run (0: none); Open sets it from
	// run.run_timeout.
	RunTimeout time.Duration
	// OnFetch, when set, is told of every page fetch of every source (for
	// metrics).
	OnFetch func(source, class string, took time.Duration)
	// OnInsert, when set before Loader is called, is told how long each
	// batch insert ClickHouse accepted took (for metrics).
	OnInsert func(took time.Duration)
	// Markets are the names searched for in forum posts; when empty,
	// Collect uses the names and titles of the market sites it is given.
	Markets []string

	embedded  *bus.Embedded
	local     *warehouse.Local
	closeOnce sync.Once
	// where says which ClickHouse server and database the stack uses.
	where string

	outboxOnce sync.Once
	outbox     *bus.Outbox
	outboxErr  error
}

// Open starts what the config leaves to counternet (an embedded nats-server
// when nats.url is empty, a managed clickhouse-server when clickhouse.dsn is
// empty) and connects to everything need asks for. ClickHouse migrations are
// applied and reference data loaded at open, unless need.Existing says the
// role only reads what is there.
func Open(ctx context.Context, cfg *config.Config, log zerolog.Logger, need Need) (*Stack, error) {
	s := &Stack{Cfg: cfg, Log: log, RunTimeout: cfg.Run.RunTimeout}
	if need.Bus {
		if err := s.openBus(ctx, need.Existing); err != nil {
			s.Close(context.Background())
			return nil, err
		}
	}
	if need.Warehouse {
		open := s.openWarehouse
		if need.Existing {
			open = s.openExistingWarehouse
		}
		if err := open(ctx, need.ClickHouseUser); err != nil {
			s.Close(context.Background())
			return nil, err
		}
	}
	return s, nil
}

func (s *Stack) openBus(ctx context.Context, existing bool) error {
	cfg := s.Cfg.NATS
	opts := bus.Options{
		URL: cfg.URL, Credentials: cfg.Credentials, Name: "counternet", Stream: cfg.Stream,
		Replicas: cfg.Replicas, MaxAge: cfg.MaxAge, DuplicateWindow: cfg.DuplicateWindow,
		Existing: existing,
	}
	if cfg.Embedded() {
		dir := filepath.Join(s.Cfg.DataDir, "nats")
		if existing {
			if err := mustExist(dir, "NATS store", config.EnvNATSURL, s.Cfg.DataDir, "nothing was collected there"); err != nil {
				return err
			}
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating nats store %s: %w", dir, err)
		}
		users, err := bus.LoadUsers(s.SecretsDir())
		if err != nil {
			return err
		}
		e, err := bus.StartEmbedded(dir, 0, users, cfg.Stream)
		if err != nil {
			return err
		}
		s.embedded = e
		// A role that reads what others stored connects as the reader,
		// which may publish nothing (bus.RolePermissions).
		role := bus.RoleService
		if existing {
			role = bus.RoleReader
		}
		opts.URL, opts.User, opts.Password = e.URL(), role, e.Password(role)
		opts.InboxPrefix = bus.InboxPrefix(role)
		s.Log.Info().Str("url", opts.URL).Str("store", dir).Str("passwords", s.SecretsDir()).
			Msg("embedded nats-server started; it admits only its users")
	} else if cfg.User != "" {
		pw, err := config.ReadSecretFile(cfg.PasswordFile)
		if err != nil {
			return fmt.Errorf("reading nats.password_file: %w", err)
		}
		opts.User, opts.Password = cfg.User, pw
	}
	c, err := bus.Connect(ctx, opts, s.Log)
	if err != nil {
		return err
	}
	s.Bus = c
	return nil
}

// SecretsDir is where the passwords of the embedded NATS server's users
// are kept: <data_dir>/secrets, mode 0700, each file 0600.
func (s *Stack) SecretsDir() string { return filepath.Join(s.Cfg.DataDir, "secrets") }

// warehouseDSN starts the managed server when the config leaves ClickHouse
// to counternet (on a data dir that must hold one when existing is set),
// and returns the DSN of the configured database.
func (s *Stack) warehouseDSN(ctx context.Context, existing bool, user string) (string, error) {
	database := s.Cfg.ClickHouse.Database
	if !s.Cfg.ClickHouse.Managed() {
		dsn := WithClusterSettings(WithDatabase(s.Cfg.ClickHouse.DSN, database), s.Cfg.ClickHouse.Cluster)
		s.where = fmt.Sprintf("database %s on %s (clickhouse.dsn)", database, config.RedactURL(dsn))
		if f := s.Cfg.ClickHouse.PasswordFile; f != "" {
			pw, err := config.ReadSecretFile(f)
			if err != nil {
				return "", fmt.Errorf("reading clickhouse.password_file: %w", err)
			}
			if dsn, err = withPassword(dsn, pw); err != nil {
				return "", err
			}
		}
		return dsn, nil
	}
	dir := filepath.Join(s.Cfg.DataDir, "clickhouse")
	if existing {
		if err := mustExist(filepath.Join(dir, "data"), "managed ClickHouse data", config.EnvClickHouseDSN, s.Cfg.DataDir,
			"nothing was loaded or migrated there; counternet migrate creates the database"); err != nil {
			return "", err
		}
	}
	// Each user may use only its databases: the writer not the audit
	// database, which only the exporter writes.
	l, err := warehouse.StartLocalWith(ctx, dir, warehouse.LocalOptions{Database: database}, s.Log)
	if err != nil {
		return "", err
	}
	s.local = l
	s.where = fmt.Sprintf("database %s on the managed clickhouse-server %s of data dir %s", database, l.Addr(), absPath(s.Cfg.DataDir))
	s.Log.Info().Str("addr", l.Addr()).Str("dir", dir).Msg("managed clickhouse-server started")
	if user == "" {
		user = warehouse.WriterUser
	}
	return l.UserDSN(user, database), nil
}

// openExistingWarehouse opens the configured database for reading: it
// creates, migrates and loads nothing, and checks the schema version.
func (s *Stack) openExistingWarehouse(ctx context.Context, user string) error {
	dsn, err := s.warehouseDSN(ctx, true, user)
	if err != nil {
		return err
	}
	db, err := warehouse.OpenExisting(ctx, dsn, s.Log)
	if err != nil {
		return fmt.Errorf("%w (looked for %s)", err, s.where)
	}
	s.DB = db
	db.UseCluster(s.Cfg.ClickHouse.Cluster)
	if err := db.CheckSchema(ctx); err != nil {
		return fmt.Errorf("%w (%s)", err, s.where)
	}
	return nil
}

func (s *Stack) openWarehouse(ctx context.Context, user string) error {
	dsn, err := s.warehouseDSN(ctx, false, user)
	if err != nil {
		return err
	}
	db, err := warehouse.Open(ctx, dsn, s.Log)
	if err != nil {
		return err
	}
	s.DB = db
	opts := warehouse.MigrateOptions{Cluster: s.Cfg.ClickHouse.Cluster, NodeDSN: NodeDSN(dsn)}
	if s.local != nil {
		// The writer may not use the audit database: the migrations that
		// change it run as the exporter.
		audit, err := warehouse.OpenExisting(ctx, s.local.ExporterDSN(s.Cfg.ClickHouse.Database), s.Log)
		if err != nil {
			return fmt.Errorf("migrating clickhouse: connecting as %s: %w", warehouse.ExporterUser, err)
		}
		defer audit.Close()
		opts.Audit = audit
	}
	if err := db.MigrateWith(ctx, opts); err != nil {
		return fmt.Errorf("migrating clickhouse: %w", err)
	}
	ref, err := reference.Default()
	if err != nil {
		return err
	}
	if p := s.Cfg.Partners; p != "" {
		if _, err := os.Stat(p); err == nil {
			if ref.Partners, err = reference.LoadPartners(p, ref); err != nil {
				return err
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("reading partner directory: %w", err)
		}
	}
	if _, err := db.LoadReference(ctx, ref); err != nil {
		return fmt.Errorf("loading reference data: %w", err)
	}
	return nil
}

// WithDatabase puts database into a DSN that names none.
func WithDatabase(dsn, database string) string {
	u, err := url.Parse(dsn)
	if err != nil || database == "" {
		return dsn
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/" + database
	}
	return u.String()
}

// WithClusterSettings adds insert_distributed_sync=1 to a DSN when cluster
// (clickhouse.cluster) is set and the DSN does not set it already: an
// insert into a Distributed table then returns only once its rows are on
// a replica of every shard they go to, so the loader acknowledges to
// JetStream only what the cluster holds (asynchronous, the rows would wait
// in the node's queue and be lost with it).
func WithClusterSettings(dsn, cluster string) string {
	if cluster == "" {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	if q.Get("insert_distributed_sync") == "" {
		q.Set("insert_distributed_sync", "1")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// NodeDSN returns, for a cluster's DSN, the DSN of the same database, user
// and settings on one node given its native address (host:port), for
// warehouse.MigrateOptions.NodeDSN.
func NodeDSN(dsn string) func(addr string) string {
	return func(addr string) string {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn
		}
		u.Host = addr
		return u.String()
	}
}

// withPassword puts password into a DSN for its user ("default" when it
// names none).
func withPassword(dsn, password string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("reading clickhouse.dsn %s: %w", config.RedactURL(dsn), err)
	}
	user := "default"
	if u.User != nil && u.User.Username() != "" {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, password)
	return u.String(), nil
}

// mustExist returns ErrNoData, naming the data dir, what it lacks (what,
// at path, and what that means), and what would point the command
// elsewhere, when path does not exist.
func mustExist(path, what, env, dataDir, means string) error {
	_, err := os.Stat(path)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", what, err)
	}
	return fmt.Errorf("%w: data dir %s holds no %s (%s does not exist): %s; "+
		"point %s at the data dir you mean or %s at the server (counternet demo --keep prints both)",
		ErrNoData, absPath(dataDir), what, absPath(path), means, config.EnvDataDir, env)
}

// absPath is path made absolute for messages (path itself when that fails).
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}

// Where says which ClickHouse server and database the stack uses (the
// managed server's address and data dir, or the configured DSN without
// its password), or "" when it opened none.
func (s *Stack) Where() string { return s.where }

// ClientCommand tells an analyst how to connect clickhouse-client to the
// managed server, or "" when ClickHouse is external.
func (s *Stack) ClientCommand() string {
	if s.local == nil {
		return ""
	}
	return s.local.ClientCommand() + " --database " + s.Cfg.ClickHouse.Database
}

// NATSURL is the URL of the NATS server in use.
func (s *Stack) NATSURL() string {
	if s.embedded != nil {
		return s.embedded.URL()
	}
	return s.Cfg.NATS.URL
}

// Close stops what Open started, within ctx's deadline. It is idempotent.
func (s *Stack) Close(ctx context.Context) {
	s.closeOnce.Do(func() {
		if s.DB != nil {
			_ = s.DB.Close()
		}
		if s.Bus != nil {
			s.Bus.Close()
		}
		if s.embedded != nil {
			s.embedded.Shutdown()
		}
		if s.local != nil {
			if err := s.local.Stop(ctx); err != nil {
				s.Log.Warn().Err(err).Msg("stopping managed clickhouse-server")
			}
		}
	})
}

// LoadSites loads the site files the config names (collect.pipelines,
// relative to baseDir), keeping those in collect.sources when it is set.
// Every error of every file is reported.
func LoadSites(cfg *config.Config, baseDir string) ([]*pipeline.Site, error) {
	files, err := cfg.PipelineFiles(baseDir)
	if err != nil {
		return nil, err
	}
	var (
		sites []*pipeline.Site
		errs  []error
	)
	for _, f := range files {
		site, err := pipeline.Load(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(cfg.Collect.Sources) == 0 || slices.Contains(cfg.Collect.Sources, site.Name) {
			sites = append(sites, site)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := pipeline.CheckUnique(sites); err != nil {
		return nil, err
	}
	for _, want := range cfg.Collect.Sources {
		if !slices.ContainsFunc(sites, func(s *pipeline.Site) bool { return s.Name == want }) {
			return nil, fmt.Errorf("collect.sources names %q, which no site file defines", want)
		}
	}
	return sites, nil
}

// Rates turns the config's fixed exchange rates into normalization rates.
func Rates(cfg *config.Config) normalize.Rates {
	return normalize.Rates{AsOf: cfg.FX.AsOf.Time(), USDPer: cfg.FX.USDPer}
}

// Outbox opens the outbox under the data dir: events a collection could
// not store on the bus, kept for the next one. It is opened once, so the
// collections a service runs at the same time spool and flush it in turn.
func (s *Stack) Outbox() (*bus.Outbox, error) {
	s.outboxOnce.Do(func() {
		s.outbox, s.outboxErr = bus.OpenOutbox(filepath.Join(s.Cfg.DataDir, "outbox"))
	})
	return s.outbox, s.outboxErr
}

// Collect runs one collection of each site through the Tor SOCKS proxy at
// cfg.tor.socks, the sites in parallel, each with its own stream-isolation
// identity, and publishes events on the bus. It returns every site's report;
// the error joins the failed runs' errors.
func (s *Stack) Collect(ctx context.Context, sites []*pipeline.Site) ([]*crawl.Report, error) {
	if s.Bus == nil {
		return nil, errors.New("collecting: no bus connection")
	}
	evidence, err := capture.Open(filepath.Join(s.Cfg.DataDir, "captures"))
	if err != nil {
		return nil, fmt.Errorf("opening evidence store: %w", err)
	}
	defer evidence.Close()
	dialer := tor.NewDialer(s.Cfg.Tor.Socks, tor.WithProxyTimeout(s.Cfg.Tor.ConnectTimeout))
	direct := s.Bus.Publisher(1024, 3, s.Cfg.Collect.PublishTimeout)
	// Events an earlier run could not store on the bus go first; what the
	// bus does not acknowledge now is kept for the next run, and reported.
	outbox, err := s.Outbox()
	if err != nil {
		return nil, err
	}
	// One attempt: when the bus is still down the run finds out at its
	// first publish, and spools again.
	if n, err := outbox.Flush(ctx, s.Bus.Publisher(1024, 0, s.Cfg.Collect.PublishTimeout)); n > 0 || err != nil {
		lev := s.Log.Info()
		if err != nil {
			lev = s.Log.Warn().Err(err)
		}
		lev.Int("events", n).Str("outbox", outbox.Dir()).Msg("published events kept by earlier runs")
	}
	pub := bus.Spooling{P: direct, Outbox: outbox}
	markets := s.Markets
	if len(markets) == 0 {
		markets = MarketNames(sites)
	}
	photos, err := s.imageCollector(sites, evidence)
	if err != nil {
		return nil, err
	}
	reports := make([]*crawl.Report, len(sites))
	errs := make([]error, len(sites))
	var g errgroup.Group
	for i, site := range sites {
		g.Go(func() error {
			opts := fetch.Options{
				UserAgent:   s.Cfg.Collect.UserAgent,
				Timeout:     s.Cfg.Collect.Timeout,
				MaxBytes:    s.Cfg.Collect.MaxPageBytes,
				Retries:     retries(s.Cfg.Collect.Retries),
				Delay:       time.Duration(site.Politeness.Delay),
				Concurrency: max(site.Politeness.Concurrency, 1),
				AllowHosts:  mirrorHosts(site),
			}
			jar, err := s.cookieJar(site.Name)
			if err != nil {
				errs[i] = err
				return nil
			}
			opts.Jar = jar
			session := newSession()
			client := fetch.New(dialer.ForIdentity(site.Name, session).DialContext, opts, s.Log)
			defer client.Close()
			var siteImages *crawl.ImageCollector
			if photos != nil {
				// Photos travel on the page client's circuit, under the
				// image bounds (crawl.ImageFetchOptions).
				img := fetch.New(dialer.ForIdentity(site.Name, session).DialContext, crawl.ImageFetchOptions(opts, images.Limits{}), s.Log)
				defer img.Close()
				siteImages = photos(img)
			}
			rep, err := crawl.Run(ctx, site, crawl.Deps{
				Fetch: client, Evidence: evidence, Publish: pub, Rates: Rates(s.Cfg), Log: s.Log,
				RunTimeout: s.RunTimeout, Authenticated: jar != nil, Markets: markets,
				OnFetch:     s.onFetch(site.Name),
				NewIdentity: func() { client.SetDial(dialer.ForIdentity(site.Name, newSession()).DialContext) },
				Images:      siteImages,
			})
			reports[i], errs[i] = rep, err
			lev := s.Log.Info()
			if err != nil {
				lev = s.Log.Error().Err(err)
			}
			lev.Str("run", rep.RunID).Str("source", rep.Source).Str("outcome", rep.Outcome).
				Int("pages", rep.Pages).Int("pages_ok", rep.PagesOK).Int("failed", rep.Failed).
				Int("blocked", rep.Blocked).Strs("classes", rep.ClassList()).Int("listings", rep.Listings).
				Int("vendors", rep.Vendors).Int("events", rep.Events).Strs("selector_misses", rep.MissList()).
				Str("mirror", rep.Mirror).Int("identities", rep.Identities).Bool("needs_login", rep.NeedsLogin).
				Dur("took", rep.Finished.Sub(rep.Started)).Msg("collection finished")
			return nil
		})
	}
	_ = g.Wait()
	return reports, errors.Join(errs...)
}

// imageCollector makes the photo collector of a site's run from its image
// fetcher (nil when collect.images is off): the blocklist is loaded once,
// and photo bytes are kept only for the site files that set keep_images.
func (s *Stack) imageCollector(sites []*pipeline.Site, evidence *capture.Store) (func(crawl.Fetcher) *crawl.ImageCollector, error) {
	if !s.Cfg.Collect.Images {
		return nil, nil
	}
	var bl *images.Blocklist
	if path := s.Cfg.Collect.ImageBlocklist; path != "" {
		var err error
		if bl, err = images.LoadBlocklist(path); err != nil {
			return nil, fmt.Errorf("collect.image_blocklist: %w", err)
		}
	}
	keep := map[string]bool{}
	for _, site := range sites {
		keep[site.Name] = site.KeepImages
	}
	return func(f crawl.Fetcher) *crawl.ImageCollector {
		return &crawl.ImageCollector{Fetch: f, Evidence: evidence, Blocklist: bl, Log: s.Log,
			Keep: func(source string) bool { return keep[source] }}
	}, nil
}

func (s *Stack) onFetch(source string) func(string, time.Duration) {
	if s.OnFetch == nil {
		return nil
	}
	return func(class string, took time.Duration) { s.OnFetch(source, class, took) }
}

// MarketNames lists the names and titles of the market sites, which forum
// posts are searched for.
func MarketNames(sites []*pipeline.Site) []string {
	var out []string
	for _, site := range sites {
		if site.Kind != pipeline.KindMarket {
			continue
		}
		out = append(out, site.Name)
		if site.Title != "" && site.Title != site.Name {
			out = append(out, site.Title)
		}
	}
	return out
}

// newSession returns a fresh random session value for a Tor identity.
func newSession() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// mirrorHosts returns the hosts of a site's mirrors, which a redirect may
// move between.
func mirrorHosts(site *pipeline.Site) []string {
	var out []string
	for _, m := range site.Mirrors {
		if u, err := url.Parse(m); err == nil && u.Host != "" {
			out = append(out, u.Host)
		}
	}
	return out
}

// CookiesEnvPrefix starts the environment variable naming a source's
// cookies.txt: COUNTERNET_COOKIES_<SOURCE>, the source name upper-cased
// with every character outside A-Z and 0-9 turned into "_".
const CookiesEnvPrefix = "COUNTERNET_COOKIES_"

// CookiesEnv returns the environment variable for source's cookies.txt.
func CookiesEnv(source string) string {
	b := []byte(strings.ToUpper(source))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return CookiesEnvPrefix + string(b)
}

// CookiesFile returns where source's session cookies are looked for: the
// path in CookiesEnv(source) when set, else <data_dir>/cookies/<source>.txt.
func (s *Stack) CookiesFile(source string) string {
	if p := os.Getenv(CookiesEnv(source)); p != "" {
		return p
	}
	return filepath.Join(s.Cfg.DataDir, "cookies", source+".txt")
}

// cookieJar loads source's Netscape cookies.txt into a jar, or returns nil
// when the source has none (an unauthenticated market). Cookie values are
// never logged.
func (s *Stack) cookieJar(source string) (http.CookieJar, error) {
	path := s.CookiesFile(source)
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) && os.Getenv(CookiesEnv(source)) == "" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading cookies of %s: %w", source, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		s.Log.Warn().Str("source", source).Str("file", path).Msg("cookies file is readable by others; chmod 600 it")
	}
	cookies, err := fetch.LoadCookies(path, time.Now())
	if err != nil {
		return nil, fmt.Errorf("reading cookies of %s: %w", source, err)
	}
	jar, err := fetch.NewJar(cookies)
	if err != nil {
		return nil, err
	}
	s.Log.Info().Str("source", source).Int("cookies", len(cookies)).Msg("session cookies loaded")
	return jar, nil
}

// retries maps the config's retry count (0: none) onto fetch.Options, where
// 0 means the default and a negative count means none.
func retries(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// Consumer ensures the loader's durable consumer and returns it.
func (s *Stack) Consumer(ctx context.Context) (jetstream.Consumer, error) {
	l := s.Cfg.Load
	return s.Bus.Consumer(ctx, bus.ConsumerOptions{Durable: l.Consumer, MaxAckPending: l.MaxAckPending, AckWait: l.AckWait})
}

// Loader builds the loader over the durable consumer.
func (s *Stack) Loader(ctx context.Context) (*load.Loader, jetstream.Consumer, error) {
	if s.Bus == nil || s.DB == nil {
		return nil, nil, errors.New("building loader: needs both the bus and the warehouse")
	}
	cons, err := s.Consumer(ctx)
	if err != nil {
		return nil, nil, err
	}
	events := load.WriterFunc(s.DB.Insert)
	if onInsert := s.OnInsert; onInsert != nil {
		events = func(ctx context.Context, b *warehouse.Batch) error {
			start := time.Now()
			if err := s.DB.Insert(ctx, b); err != nil {
				return err
			}
			onInsert(time.Since(start))
			return nil
		}
	}
	l := s.Cfg.Load
	ld := load.New(cons, load.Sinks{
		Events:      events,
		DeadLetters: s.Bus.Publisher(64, 3, 30*time.Second),
		DeadTable:   load.NewTable(s.DB.Conn()),
		Images:      &images.Store{Conn: s.DB.Conn()},
		Acks:        s.Bus.NC,
	}, load.Options{
		BatchSize: l.BatchSize, FlushInterval: l.FlushInterval, FetchMax: l.FetchMax,
	}, s.Log)
	return ld, cons, nil
}
