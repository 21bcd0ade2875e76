// Package config loads and validates counternet's configuration.
//
// Loading starts from the built-in defaults (configs/counternet.yaml,
// embedded in the binary), decodes a config file on top of them strictly
// (unknown keys are errors), applies environment overrides and validates the
// result. Every problem is reported at once, each with the file, line and
// key it concerns, or with "(default)" or "(env NAME)" when the offending
// value did not come from the file.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/configs"
)

// Config is counternet's whole configuration. Its YAML form, with a comment
// on every key, is configs/counternet.yaml.
type Config struct {
	// DataDir holds captures (WARC evidence), the embedded NATS store and the
	// managed ClickHouse data.
	DataDir    string     `yaml:"data_dir"`
	Log        Log        `yaml:"log"`
	Tor        Tor        `yaml:"tor"`
	NATS       NATS       `yaml:"nats"`
	ClickHouse ClickHouse `yaml:"clickhouse"`
	Collect    Collect    `yaml:"collect"`
	Load       Loader     `yaml:"load"`
	FX         FX         `yaml:"fx"`
	Demo       Demo       `yaml:"demo"`
	Run        Run        `yaml:"run"`
	Export     Export     `yaml:"export"`
	Console    Console    `yaml:"console"`
	// Partners is the partner directory file (agencies, keys, highest
	// TLP, excluded fields); empty means none.
	Partners string `yaml:"partners"`
}

// Log is the log section: how much is logged and in which form.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn or error
	Format string `yaml:"format"` // console or json
}

// Tor is the tor section: where the Tor SOCKS proxy listens.
type Tor struct {
	Socks          string        `yaml:"socks"` // host:port of the SocksPort
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
}

// NATS is the nats section: the server and the shape of the event stream.
type NATS struct {
	// URL is one or more server URLs, comma separated; empty means an
	// embedded in-process nats-server.
	URL string `yaml:"url"`
	// Credentials is the path of a .creds file (JWT and NKey seed) for an
	// external server; empty means none. It must be mode 0600.
	Credentials string `yaml:"credentials"`
	// User and PasswordFile authenticate to an external server by user
	// name and password, the password read from a file of mode 0600.
	// The embedded server makes its own users (see docs/security.md).
	User            string        `yaml:"user"`
	PasswordFile    string        `yaml:"password_file"`
	Stream          string        `yaml:"stream"`
	Replicas        int           `yaml:"replicas"`
	MaxAge          time.Duration `yaml:"max_age"`
	DuplicateWindow time.Duration `yaml:"duplicate_window"`
}

// Embedded reports whether counternet should run its own nats-server.
func (n NATS) Embedded() bool { return n.URL == "" }

// ClickHouse is the clickhouse section: where events are stored.
type ClickHouse struct {
	// DSN is a clickhouse:// or tcp:// URL; empty means a managed local
	// clickhouse-server child process. It may hold a password.
	DSN string `yaml:"dsn"`
	// PasswordFile, when set, holds the password of the DSN's user (a
	// file of mode 0600), so the DSN itself carries none.
	PasswordFile string `yaml:"password_file"`
	Database     string `yaml:"database"`
	// Cluster, when set, makes migrations use ON CLUSTER with
	// ReplicatedMergeTree tables and Distributed tables over them.
	Cluster string `yaml:"cluster"`
}

// Managed reports whether counternet should run its own clickhouse-server.
func (c ClickHouse) Managed() bool { return c.DSN == "" }

// Collect is the collect section: which sites are collected and how pages
// are fetched.
type Collect struct {
	Pipelines      []string      `yaml:"pipelines"` // globs of site files
	Sources        []string      `yaml:"sources"`   // site names; empty means all
	UserAgent      string        `yaml:"user_agent"`
	Timeout        time.Duration `yaml:"timeout"`
	MaxPageBytes   int64         `yaml:"max_page_bytes"`
	Retries        int           `yaml:"retries"`
	PublishTimeout time.Duration `yaml:"publish_timeout"`
	// Images fetches the listing photos a site file names (attributes.images)
	// and records their hashes (docs/images.md).
	Images bool `yaml:"images"`
	// ImageBlocklist is a file of known-illegal image hashes checked before
	// anything of a photo is stored (images.LoadBlocklist); "" for none.
	ImageBlocklist string `yaml:"image_blocklist"`
}

// Loader is the load section: how the loader consumes the event stream and
// batches inserts into ClickHouse.
type Loader struct {
	Consumer      string        `yaml:"consumer"` // durable pull consumer name
	BatchSize     int           `yaml:"batch_size"`
	FlushInterval time.Duration `yaml:"flush_interval"`
	MaxAckPending int           `yaml:"max_ack_pending"`
	AckWait       time.Duration `yaml:"ack_wait"`
	FetchMax      int           `yaml:"fetch_max"`
	// CompactInterval is how often the loader merges into one part what
	// the engine leaves in several of the tables the routes and vendor
	// links views read (warehouse.DB.Compact); 0 never.
	CompactInterval time.Duration `yaml:"compact_interval"`
}

// FX is the fx section: fixed exchange rates used to compute price_usd.
type FX struct {
	AsOf Date `yaml:"as_of"` // the day the rates were taken; recorded with prices
	// USDPer maps a currency code (ISO 4217 or a cryptocurrency ticker) to
	// the US dollars one unit buys. A config file that sets it replaces the
	// default table whole.
	USDPer map[string]float64 `yaml:"usd_per"`
}

// Run is the run section: what `counternet run` does as a long-lived
// service.
type Run struct {
	// Roles are the parts this process runs: collect, load, or both.
	Roles []string `yaml:"roles"`
	// Schedule is the cron expression for sources whose site file names
	// none; Schedules overrides it per source name.
	Schedule  string            `yaml:"schedule"`
	Schedules map[string]string `yaml:"schedules"`
	// Jitter delays each firing by up to this much at random.
	Jitter time.Duration `yaml:"jitter"`
	// RunTimeout bounds one collection of one source.
	RunTimeout time.Duration `yaml:"run_timeout"`
	// ShutdownGrace is how long in-flight work may take to finish after
	// SIGTERM before it is abandoned.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// MetricsAddr is where /metrics, /healthz and /readyz are served;
	// empty turns the endpoint off.
	MetricsAddr string `yaml:"metrics_addr"`
	// MetricsTokenFile, when set, holds the bearer token (a 0600 file)
	// that /metrics asks of every scrape (Authorization: Bearer <token>);
	// /healthz and /readyz stay open.
	MetricsTokenFile string `yaml:"metrics_token_file"`
}

// Export is the export section: the sending agency named in every
// intelligence package.
type Export struct {
	Agency  string `yaml:"agency"`  // name of the sending agency
	Country string `yaml:"country"` // its ISO 3166-1 alpha-2 country
	Contact string `yaml:"contact"` // contact point named in packages and requests
	// SigningKey is the ed25519 key that signs manifests; empty means
	// <data_dir>/keys/signing.key.
	SigningKey string `yaml:"signing_key"`
}

// Console is the console section: the investigators' web console that
// `counternet serve` and the console role of `counternet run` serve.
type Console struct {
	// Addr is where the console listens (TLS only); loopback by default.
	Addr string `yaml:"addr"`
	// TLSCert and TLSKey are a PEM certificate and key; both empty: a
	// self-signed certificate generated once and kept (mode 0600) under
	// <data_dir>/secrets.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// SessionIdle ends a session unused this long; SessionMax ends any
	// session this long after sign-in.
	SessionIdle time.Duration `yaml:"session_idle"`
	SessionMax  time.Duration `yaml:"session_max"`
	// LoginMaxPerUser and LoginMaxPerAddr are the failed sign-ins allowed
	// per user name and per client address within LoginWindow.
	LoginMaxPerUser int           `yaml:"login_max_per_user"`
	LoginMaxPerAddr int           `yaml:"login_max_per_addr"`
	LoginWindow     time.Duration `yaml:"login_window"`
	// ExportDir holds the packages built from approved export requests;
	// empty: <data_dir>/exports.
	ExportDir string `yaml:"export_dir"`
	OIDC      OIDC   `yaml:"oidc"`
}

// OIDC is the console.oidc section: sign-in through an agency's OpenID
// Connect identity provider. An empty issuer turns it off.
type OIDC struct {
	Issuer           string `yaml:"issuer"`
	ClientID         string `yaml:"client_id"`
	ClientSecretFile string `yaml:"client_secret_file"` // mode 0600
	// RedirectURL is the console's callback as the provider knows it:
	// https://<console>/auth/oidc/callback.
	RedirectURL string `yaml:"redirect_url"`
	// RolesClaim names the ID token claim (a string or a list of strings)
	// whose values Roles maps to console roles.
	RolesClaim string              `yaml:"roles_claim"`
	Roles      map[string][]string `yaml:"roles"`
}

// Enabled reports whether OIDC sign-in is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// Demo is the demo section.
type Demo struct {
	Seed int64 `yaml:"seed"` // seed of the synthetic markets
}

// Environment variables that override the config file. An empty variable
// counts as unset.
const (
	EnvDataDir       = "COUNTERNET_DATA_DIR"
	EnvLogLevel      = "COUNTERNET_LOG_LEVEL"
	EnvTorSocks      = "COUNTERNET_TOR_SOCKS"
	EnvNATSURL       = "COUNTERNET_NATS_URL"
	EnvNATSCreds     = "COUNTERNET_NATS_CREDS"
	EnvNATSUser      = "COUNTERNET_NATS_USER"
	EnvNATSPassword  = "COUNTERNET_NATS_PASSWORD_FILE"
	EnvMetricsToken  = "COUNTERNET_METRICS_TOKEN_FILE"
	EnvClickHouseDSN = "COUNTERNET_CLICKHOUSE_DSN"
	EnvClickHousePW  = "COUNTERNET_CLICKHOUSE_PASSWORD_FILE"
)

// envOverrides lists each environment variable with the key it sets.
var envOverrides = []struct {
	name, field string
	set         func(*Config, string)
}{
	{EnvDataDir, "data_dir", func(c *Config, v string) { c.DataDir = v }},
	{EnvLogLevel, "log.level", func(c *Config, v string) { c.Log.Level = v }},
	{EnvTorSocks, "tor.socks", func(c *Config, v string) { c.Tor.Socks = v }},
	{EnvNATSURL, "nats.url", func(c *Config, v string) { c.NATS.URL = v }},
	{EnvNATSCreds, "nats.credentials", func(c *Config, v string) { c.NATS.Credentials = v }},
	{EnvNATSUser, "nats.user", func(c *Config, v string) { c.NATS.User = v }},
	{EnvNATSPassword, "nats.password_file", func(c *Config, v string) { c.NATS.PasswordFile = v }},
	{EnvClickHouseDSN, "clickhouse.dsn", func(c *Config, v string) { c.ClickHouse.DSN = v }},
	{EnvClickHousePW, "clickhouse.password_file", func(c *Config, v string) { c.ClickHouse.PasswordFile = v }},
	{EnvMetricsToken, "run.metrics_token_file", func(c *Config, v string) { c.Run.MetricsTokenFile = v }},
}

// Option changes how Load and Parse work.
type Option func(*options)

type options struct {
	lookupEnv func(string) (string, bool)
}

// WithLookupEnv makes Load and Parse read environment overrides through
// lookup instead of os.LookupEnv; tests pass a map's lookup, and a nil
// lookup disables overrides.
func WithLookupEnv(lookup func(string) (string, bool)) Option {
	return func(o *options) {
		if lookup == nil {
			lookup = func(string) (string, bool) { return "", false }
		}
		o.lookupEnv = lookup
	}
}

// Default returns the built-in defaults decoded from configs.Default,
// without environment overrides or validation.
func Default() (*Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(configs.Default))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("decoding built-in default config: %w", err)
	}
	return &cfg, nil
}

// MaxFileBytes bounds the config file Load reads.
const MaxFileBytes = 1 << 20

// Load reads the config file at path over the defaults, applies environment
// overrides and validates the result. An empty path loads the defaults and
// the environment only. Problems in the configuration are returned together
// as an *Error; a file that cannot be read is returned as that error,
// wrapped, and a file larger than MaxFileBytes is refused.
func Load(path string, opts ...Option) (*Config, error) {
	if path == "" {
		return Parse("", nil, opts...)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading config %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("reading config %s: larger than %d bytes", path, MaxFileBytes)
	}
	return Parse(path, data, opts...)
}

// Parse is Load from bytes: filename names data in error messages. Empty
// data (or data holding only comments) leaves the defaults unchanged.
func Parse(filename string, data []byte, opts ...Option) (*Config, error) {
	o := options{lookupEnv: os.LookupEnv}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := Default()
	if err != nil {
		return nil, err
	}
	var (
		idx        *nodeIndex
		decodeErrs []FieldError
	)
	if len(data) > 0 {
		if filename == "" {
			filename = "<config>"
		}
		var fatal bool
		idx, decodeErrs, fatal = decodeFile(filename, data, cfg)
		if fatal {
			return nil, &Error{Errors: decodeErrs}
		}
	}
	errs := slices.Clone(decodeErrs)
	fromEnv := make(map[string]string)
	for _, ov := range envOverrides {
		if v, ok := o.lookupEnv(ov.name); ok && v != "" {
			ov.set(cfg, v)
			fromEnv[ov.field] = ov.name
		}
	}
	for _, p := range cfg.problems() {
		if decodeFailed(decodeErrs, p.field) {
			continue // already reported where the file could not be decoded
		}
		errs = append(errs, locate(filename, idx, fromEnv, p))
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, &Error{Errors: errs}
	}
	return cfg, nil
}

// Validate checks every value and returns an *Error listing each problem by
// key, without file positions (Load and Parse add them).
func (c *Config) Validate() error {
	var errs []FieldError
	for _, p := range c.problems() {
		errs = append(errs, FieldError{Field: p.field, Msg: p.msg})
	}
	if len(errs) > 0 {
		return &Error{Errors: errs}
	}
	return nil
}

// decodeFile decodes data strictly into cfg. It returns the file's node
// index and the problems found; fatal means the file could not be parsed
// as YAML at all.
func decodeFile(filename string, data []byte, cfg *Config) (idx *nodeIndex, errs []FieldError, fatal bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, false
		}
		return nil, []FieldError{syntaxError(filename, err)}, true
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		errs = append(errs, FieldError{File: filename, Line: extra.Line,
			Msg: "a second YAML document: a config file holds one document"})
	case !errors.Is(err, io.EOF):
		errs = append(errs, syntaxError(filename, err))
	}
	if len(doc.Content) == 0 {
		return nil, errs, false
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, errs, false
	}
	if root.Kind != yaml.MappingNode {
		errs = append(errs, FieldError{File: filename, Line: root.Line,
			Msg: fmt.Sprintf("got %s, want a mapping of keys such as data_dir, nats, clickhouse", withArticle(tagDesc(root.ShortTag())))})
		return nil, errs, true
	}
	idx = indexNodes(root)
	errs = append(errs, idx.indexProblems(filename)...)
	if _, ok := idx.value["fx.usd_per"]; ok {
		cfg.FX.USDPer = nil // a rate table replaces the default one whole
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(cfg); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return idx, append(errs, syntaxError(filename, err)), true
		}
		for _, msg := range te.Errors {
			if reDupKey.MatchString(msg) {
				continue // indexProblems reported every repeated key
			}
			fe := typeError(filename, idx, msg)
			if !slices.ContainsFunc(errs, func(e FieldError) bool { return e.Line == fe.Line && e.Field == fe.Field }) {
				errs = append(errs, fe)
			}
		}
	}
	return idx, errs, false
}

// Date is a calendar day, written YYYY-MM-DD in YAML.
type Date struct {
	t time.Time
}

const dateLayout = "2006-01-02"

// ParseDate parses a YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("parsing date %q: %w", s, err)
	}
	return Date{t: t}, nil
}

// DateOf is the calendar day (UTC) of t.
func DateOf(t time.Time) Date { return Date{t: t.UTC().Truncate(24 * time.Hour)} }

// Time is the start of the day in UTC.
func (d Date) Time() time.Time { return d.t }

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d.t.IsZero() }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return d.t.Format(dateLayout) }

// MarshalYAML writes the date as YYYY-MM-DD.
func (d Date) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads a YYYY-MM-DD date, quoted or not.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if t, err := time.Parse(dateLayout, n.Value); err == nil {
			d.t = t
			return nil
		}
	}
	// Reported like yaml.v3's own type errors, so that decoding goes on and
	// the problem is listed with the others.
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s%s into config.Date",
		n.Line, shortTag(n), shortValue(n))}}
}

// shortTag is a node's tag as yaml.v3 prints it in type errors.
func shortTag(n *yaml.Node) string { return n.ShortTag() }

// shortValue is a node's value as yaml.v3 prints it in type errors.
func shortValue(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		return ""
	}
	if len(n.Value) > 10 {
		return " `" + n.Value[:7] + "...`"
	}
	return " `" + n.Value + "`"
}
