package chain

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"
)

// Kinds of source.
const (
	KindRPC     = "rpc"
	KindEsplora = "esplora"
)

// Defaults of SourceConfig's zero fields.
const (
	DefaultRate             = 10.0 // requests per second
	DefaultConcurrency      = 2
	DefaultTimeout          = 30 * time.Second
	DefaultRetries          = 3
	DefaultBackoffBase      = 500 * time.Millisecond
	DefaultBackoffMax       = 30 * time.Second
	DefaultMaxResponseBytes = 32 << 20
	DefaultPageSize         = 100
)

// Config is a chain sources file: one entry per source.
//
//	sources:
//	  - name: btc-node
//	    chain: btc
//	    kind: rpc                     # rpc (btcd --txindex --addrindex) or esplora
//	    url: http://127.0.0.1:8334
//	    user: counternet
//	    password_env: COUNTERNET_BTC_RPC_PASSWORD
//	  - name: blockstream
//	    chain: btc
//	    kind: esplora
//	    url: http://explorerzydxu5ecjrkwceayqybizmpjjznk5izmitf2modhcusuqlid.onion/api
//	    tor: true
//	    rate: 1
type Config struct {
	Sources []SourceConfig `yaml:"sources"`
}

// SourceConfig configures one chain source.
type SourceConfig struct {
	// Name identifies the source in logs and in the rows it fetched.
	Name string `yaml:"name"`
	// Chain is the chain it serves: btc.
	Chain string `yaml:"chain"`
	// Kind is rpc (Bitcoin Core JSON-RPC dialect with btcd's
	// searchrawtransactions) or esplora (REST).
	Kind string `yaml:"kind"`
	// URL is the RPC endpoint, or the Esplora API base (ending before
	// /tx, /address, /blocks).
	URL string `yaml:"url"`
	// User is the RPC user; the password comes from the environment
	// variable PasswordEnv, never from the file, and is never logged.
	User        string `yaml:"user"`
	PasswordEnv string `yaml:"password_env"`
	// Tor sends every request through the Tor SOCKS proxy of the main
	// config, on circuits of its own.
	Tor bool `yaml:"tor"`
	// Rate is the most requests started per second (default 10).
	Rate float64 `yaml:"rate"`
	// Concurrency is how many requests run at once (default 2).
	Concurrency int `yaml:"concurrency"`
	// Timeout bounds one attempt (default 30s).
	Timeout time.Duration `yaml:"timeout"`
	// Retries is how many times a failed attempt is repeated (default 3;
	// negative: none).
	Retries int `yaml:"retries"`
	// BackoffBase and BackoffMax shape the wait between retries.
	BackoffBase time.Duration `yaml:"backoff_base"`
	BackoffMax  time.Duration `yaml:"backoff_max"`
	// MaxResponseBytes bounds one response (default 32 MiB).
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
	// PageSize is the transactions asked for per RPC page (default 100;
	// Esplora's pages are the server's, 25 confirmed).
	PageSize int `yaml:"page_size"`
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c SourceConfig) WithDefaults() SourceConfig {
	if c.Chain == "" {
		c.Chain = ChainBitcoin
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.Retries == 0:
		c.Retries = DefaultRetries
	case c.Retries < 0:
		c.Retries = 0
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = DefaultBackoffBase
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	c.BackoffMax = max(c.BackoffMax, c.BackoffBase)
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.PageSize <= 0 {
		c.PageSize = DefaultPageSize
	}
	return c
}

// Validate reports every problem of the source's settings.
func (c SourceConfig) Validate() []error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	if c.Name == "" {
		bad("name", "required")
	}
	if c.Chain != ChainBitcoin {
		bad("chain", "must be %s (the only chain traced), got %q", ChainBitcoin, c.Chain)
	}
	if c.Kind != KindRPC && c.Kind != KindEsplora {
		bad("kind", "must be %s or %s, got %q", KindRPC, KindEsplora, c.Kind)
	}
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		bad("url", "required")
	case err != nil:
		bad("url", "%v", err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		bad("url", "must be an http or https URL, got %q", u.Redacted())
	case u.User != nil:
		bad("url", "must not carry credentials (use user and password_env)")
	}
	if c.PasswordEnv != "" && c.User == "" {
		bad("password_env", "set without user")
	}
	if c.Rate < 0 {
		bad("rate", "must not be negative, got %g", c.Rate)
	}
	if c.Kind == KindEsplora && c.User != "" {
		bad("user", "esplora sources take no credentials")
	}
	return errs
}

// LoadConfig reads a chain sources file strictly (unknown keys are
// errors), applies the defaults and validates it. Every problem is reported
// at once as file:line: field: problem.
func LoadConfig(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading chain sources: %w", err)
	}
	return ParseConfig(file, data)
}

// ParseConfig is LoadConfig over the file's bytes; name is used in errors.
func ParseConfig(name string, data []byte) (*Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lines := itemLines(&root, "sources")
	var errs []error
	if len(cfg.Sources) == 0 {
		errs = append(errs, fmt.Errorf("%s: sources: at least one source is required", name))
	}
	seen := map[string]bool{}
	for i := range cfg.Sources {
		c := cfg.Sources[i].WithDefaults()
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		for _, e := range c.Validate() {
			errs = append(errs, fmt.Errorf("%s:%d: sources[%d].%w", name, line, i, e))
		}
		if seen[c.Name] && c.Name != "" {
			errs = append(errs, fmt.Errorf("%s:%d: sources[%d].name: %q used twice", name, line, i, c.Name))
		}
		seen[c.Name] = true
		cfg.Sources[i] = c
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &cfg, nil
}

// itemLines returns the line of each item of the top-level sequence key.
func itemLines(root *yaml.Node, key string) []int {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, it := range m.Content[i+1].Content {
				out = append(out, it.Line)
			}
			return out
		}
	}
	return nil
}

// Lookup returns the source named name, or the only source when name is
// empty and there is one.
func (c *Config) Lookup(name string) (SourceConfig, error) {
	if name == "" && len(c.Sources) == 1 {
		return c.Sources[0], nil
	}
	var names []string
	for _, s := range c.Sources {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return SourceConfig{}, fmt.Errorf("no chain source %q (have: %s)", name, strings.Join(names, ", "))
}

// New builds the source cfg describes. dial opens its connections (nil: a
// direct dial). A source with cfg.Tor set needs the Tor dialer: without one
// New fails rather than dial directly. The password is read from
// cfg.PasswordEnv here; a variable that is not set is an error.
func New(cfg SourceConfig, dial DialFunc, log zerolog.Logger) (Source, error) {
	cfg = cfg.WithDefaults()
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("chain source %s: %w", cfg.Name, errors.Join(errs...))
	}
	if dial == nil {
		if cfg.Tor {
			return nil, fmt.Errorf("chain source %s: tor is set but no Tor dialer was given; refusing to dial directly", cfg.Name)
		}
		d := &netDialer
		dial = d.DialContext
	}
	log = log.With().Str("chain_source", cfg.Name).Logger()
	switch cfg.Kind {
	case KindRPC:
		var password string
		if cfg.PasswordEnv != "" {
			var ok bool
			if password, ok = os.LookupEnv(cfg.PasswordEnv); !ok {
				return nil, fmt.Errorf("chain source %s: password_env: environment variable %s is not set", cfg.Name, cfg.PasswordEnv)
			}
		}
		return newRPC(cfg, password, dial, log), nil
	default:
		return newEsplora(cfg, dial, log), nil
	}
}
