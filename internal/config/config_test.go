package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/configs"
)

var update = flag.Bool("update", false, "rewrite testdata/*.errors from the current output")

// noEnv is an environment with no variables set.
func noEnv(string) (string, bool) { return "", false }

// envOf is an environment holding m.
func envOf(m map[string]string) Option {
	return WithLookupEnv(func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	})
}

func TestDefaultValidates(t *testing.T) {
	cfg, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("built-in defaults do not validate:\n%v", err)
	}
	loaded, err := Load("", WithLookupEnv(noEnv))
	if err != nil {
		t.Fatalf("Load(\"\"): %v", err)
	}
	if loaded.Redacted() != cfg.Redacted() {
		t.Errorf("Load(\"\") differs from Default():\n%s\nwant\n%s", loaded.Redacted(), cfg.Redacted())
	}
	// Spot checks of what `counternet demo` relies on.
	if !cfg.NATS.Embedded() || !cfg.ClickHouse.Managed() {
		t.Errorf("defaults should use embedded NATS and managed ClickHouse: %+v %+v", cfg.NATS.URL, cfg.ClickHouse.DSN)
	}
	if cfg.Load.MaxAckPending <= cfg.Load.BatchSize {
		t.Errorf("default max_ack_pending %d <= batch_size %d", cfg.Load.MaxAckPending, cfg.Load.BatchSize)
	}
	if got, want := cfg.NATS.MaxAge, 90*24*time.Hour; got != want {
		t.Errorf("nats.max_age = %v, want %v", got, want)
	}
	if got := cfg.FX.AsOf.String(); got != "2026-11-01" {
		t.Errorf("fx.as_of = %s", got)
	}
	if got := cfg.FX.USDPer["BTC"]; got != 95000 {
		t.Errorf("fx.usd_per.BTC = %v", got)
	}
}

// TestDefaultFileDocumented checks that configs/counternet.yaml sets every
// key of Config and explains each one in a comment.
func TestDefaultFileDocumented(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(configs.Default, &doc); err != nil {
		t.Fatal(err)
	}
	idx := indexNodes(doc.Content[0])
	var walk func(path string)
	walk = func(path string) {
		for _, k := range knownKeys(path) {
			p := k
			if path != "" {
				p = path + "." + k
			}
			v, ok := idx.value[p]
			if !ok {
				t.Errorf("default config lacks key %s", p)
				continue
			}
			if v.Kind == yaml.MappingNode && knownKeys(p) != nil {
				walk(p)
				continue
			}
			var key *yaml.Node
			for _, e := range idx.entries {
				if e.isKey && e.path == p {
					key = e.node
				}
			}
			if strings.TrimSpace(key.HeadComment+key.LineComment+v.LineComment) == "" {
				t.Errorf("default config key %s (line %d) has no comment", p, key.Line)
			}
		}
	}
	walk("")
}

// TestTestdata loads every testdata/*.yaml: *.good.yaml must load, and
// *.bad.yaml must fail with exactly the text of the sibling .errors file.
func TestTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cfg, err := Load(file, WithLookupEnv(noEnv))
			if strings.HasSuffix(file, ".good.yaml") {
				if err != nil {
					t.Fatalf("want no error, got:\n%v", err)
				}
				if err := cfg.Validate(); err != nil {
					t.Fatalf("loaded config does not validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want errors, got none")
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("error %T is not a *config.Error: %v", err, err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".errors"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading expected errors (run with -update to create): %v", err)
			}
			if got != string(want) {
				t.Errorf("errors differ\ngot:\n%s\nwant:\n%s", got, want)
			}
			for _, fe := range cerr.Errors {
				if fe.Line == 0 && fe.Source == "" {
					t.Errorf("error has neither a line nor a source: %v", fe)
				}
			}
		})
	}
}

func TestProductionValues(t *testing.T) {
	cfg, err := Load("testdata/production.good.yaml", WithLookupEnv(noEnv))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"data_dir", cfg.DataDir, "/var/lib/counternet"},
		{"log.format", cfg.Log.Format, "json"},
		{"tor.socks", cfg.Tor.Socks, "[::1]:9150"},
		{"tor.connect_timeout", cfg.Tor.ConnectTimeout, 45 * time.Second},
		{"nats.stream (default kept)", cfg.NATS.Stream, "INTEL"},
		{"nats.replicas", cfg.NATS.Replicas, 3},
		{"nats.duplicate_window", cfg.NATS.DuplicateWindow, 10 * time.Minute},
		{"clickhouse.database", cfg.ClickHouse.Database, "intel_2026"},
		{"collect.pipelines", strings.Join(cfg.Collect.Pipelines, " "), "/etc/counternet/pipelines/*.yaml extra/*.yaml"},
		{"collect.sources", strings.Join(cfg.Collect.Sources, " "), "alpha_market beta-forum"},
		{"collect.retries", cfg.Collect.Retries, 0},
		{"collect.publish_timeout (default kept)", cfg.Collect.PublishTimeout, 30 * time.Second},
		{"load.flush_interval", cfg.Load.FlushInterval, 500 * time.Millisecond},
		{"fx.as_of (quoted)", cfg.FX.AsOf.String(), "2026-12-01"},
		{"fx.usd_per replaces the defaults", len(cfg.FX.USDPer), 3},
		{"fx.usd_per.USDT", cfg.FX.USDPer["USDT"], 1.0},
		{"demo.seed", cfg.Demo.Seed, int64(-7)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestEnvOverrides(t *testing.T) {
	file := []byte("nats:\n  url: nats://file:4222\ntor:\n  socks: 127.0.0.1:9050\n")
	tests := []struct {
		name    string
		env     map[string]string
		check   func(*Config) string
		wantErr string
	}{
		{
			name: "every variable",
			env: map[string]string{
				EnvDataDir: "/srv/cn", EnvLogLevel: "debug", EnvTorSocks: "tor:9150",
				EnvNATSURL: "nats://env:4222", EnvNATSCreds: "/run/secrets/nats.creds",
				EnvClickHouseDSN: "clickhouse://u:p@ch:9000",
			},
			check: func(c *Config) string {
				got := []string{c.DataDir, c.Log.Level, c.Tor.Socks, c.NATS.URL, c.NATS.Credentials, c.ClickHouse.DSN}
				want := []string{"/srv/cn", "debug", "tor:9150", "nats://env:4222", "/run/secrets/nats.creds", "clickhouse://u:p@ch:9000"}
				if !slices.Equal(got, want) {
					return fmt.Sprintf("got %q, want %q", got, want)
				}
				return ""
			},
		},
		{
			name: "empty variable counts as unset",
			env:  map[string]string{EnvNATSURL: ""},
			check: func(c *Config) string {
				if c.NATS.URL != "nats://file:4222" {
					return "nats.url = " + c.NATS.URL
				}
				return ""
			},
		},
		{
			name:    "bad value named by its variable, secret masked",
			env:     map[string]string{EnvNATSURL: "http://user:hunter2@nats:4222"},
			wantErr: `(env COUNTERNET_NATS_URL): nats.url: "http://user:xxxxx@nats:4222": want a nats://, tls://, ws:// or wss:// URL`,
		},
		{
			name:    "bad socks",
			env:     map[string]string{EnvTorSocks: "localhost:tor"},
			wantErr: `(env COUNTERNET_TOR_SOCKS): tor.socks: "localhost:tor": port "tor" is not a number`,
		},
		{
			name:    "bad log level",
			env:     map[string]string{EnvLogLevel: "INFO"},
			wantErr: `(env COUNTERNET_LOG_LEVEL): log.level: unknown level "INFO", want debug, info, warn or error`,
		},
		{
			name:    "bad dsn",
			env:     map[string]string{EnvClickHouseDSN: "http://default:pw@ch:8123"},
			wantErr: `(env COUNTERNET_CLICKHOUSE_DSN): clickhouse.dsn: "http://default:xxxxx@ch:8123": want a clickhouse:// or tcp:// URL (the native protocol)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("env.yaml", file, envOf(tt.env))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v\nwant    %s", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), ":pw@") {
					t.Errorf("error shows a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(cfg); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestErrorLocations(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want string
	}{
		{
			name: "value from the file",
			file: "# comment\nnats:\n  replicas: 6\n",
			want: "f.yaml:3: nats.replicas: must be between 1 and 5, got 6",
		},
		{
			name: "cross-field check blames the key present in the file",
			file: "load:\n  batch_size: 200000\n",
			want: "f.yaml:2: load.max_ack_pending: 200000 must be greater than load.batch_size (200000)",
		},
		{
			name: "negative compaction interval",
			file: "load:\n  compact_interval: -1m\n",
			want: "f.yaml:2: load.compact_interval: must not be negative (0 never merges), got -1m",
		},
		{
			name: "value from env with no file",
			file: "",
			env:  map[string]string{EnvLogLevel: "loud"},
			want: `(env COUNTERNET_LOG_LEVEL): log.level: unknown level "loud"`,
		},
		{
			name: "env beats the file line",
			file: "log:\n  level: info\n",
			env:  map[string]string{EnvLogLevel: "loud"},
			want: `(env COUNTERNET_LOG_LEVEL): log.level: unknown level "loud"`,
		},
		{
			name: "sequence element",
			file: "collect:\n  pipelines:\n    - a/*.yaml\n    - \"b/[x\"\n",
			want: `f.yaml:4: collect.pipelines[1]: bad glob "b/[x": syntax error in pattern`,
		},
		{
			name: "unknown key far from any known one lists the keys",
			file: "tor:\n  proxy: x\n",
			want: "f.yaml:2: tor.proxy: unknown key; tor has: socks, connect_timeout",
		},
		{
			name: "case mistake",
			file: "NATS:\n  url: \"\"\n",
			want: `f.yaml:1: NATS: unknown key, did you mean "nats"?`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.file), envOf(tt.env))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v\nwant prefix %s", err, tt.want)
			}
		})
	}
}

func TestLocateDefault(t *testing.T) {
	idx := indexNodes(&yaml.Node{Kind: yaml.MappingNode})
	got := locate("f.yaml", idx, nil, problem{field: "load.max_ack_pending", related: []string{"load.batch_size"}, msg: "m"})
	if want := "(default): load.max_ack_pending: m"; got.Error() != want {
		t.Errorf("got %q, want %q", got.Error(), want)
	}
	got = locate("f.yaml", idx, map[string]string{"load.batch_size": "X"}, problem{field: "load.max_ack_pending", related: []string{"load.batch_size"}, msg: "m"})
	if want := "(env X): load.max_ack_pending: m"; got.Error() != want {
		t.Errorf("got %q, want %q", got.Error(), want)
	}
}

func TestErrorTypes(t *testing.T) {
	_, err := Parse("f.yaml", []byte("nats:\n  replicas: 0\n"), WithLookupEnv(noEnv))
	var cerr *Error
	if !errors.As(err, &cerr) || len(cerr.Errors) != 1 {
		t.Fatalf("errors.As(*Error) failed: %v", err)
	}
	var fe FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(FieldError) failed: %v", err)
	}
	if fe.File != "f.yaml" || fe.Line != 2 || fe.Field != "nats.replicas" {
		t.Errorf("FieldError = %+v", fe)
	}
	fmt.Fprintln(&bytes.Buffer{}, cerr) // printable
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("want fs.ErrNotExist, got %v", err)
	}
}

func TestLoadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	data := append([]byte("data_dir: /var/lib/counternet\n"), bytes.Repeat([]byte("# padding\n"), MaxFileBytes/10+1)...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "larger than") || !strings.Contains(err.Error(), path) {
		t.Fatalf("a config of %d bytes: got %v, want an error naming the file and the limit", len(data), err)
	}
}

func TestValidateWithoutFile(t *testing.T) {
	cfg, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.NATS.Replicas = 7
	cfg.Load.FetchMax = 0
	want := "nats.replicas: must be between 1 and 5, got 7\nload.fetch_max: must be at least 1, got 0"
	if err := cfg.Validate(); err == nil || err.Error() != want {
		t.Fatalf("Validate() = %v, want\n%s", err, want)
	}
}

const (
	secretDSN  = "clickhouse://reader:s3cretPW@ch-1:9000,ch-2:9000/intel?dial_timeout=5s&password=qpw"
	secretNATS = "nats://tok3n@n1:4222, nats://alice:natsPW@n2:4222"
)

func TestRedacted(t *testing.T) {
	cfg, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.ClickHouse.DSN = secretDSN
	cfg.NATS.URL = secretNATS
	cfg.NATS.Credentials = "/etc/counternet/nats.creds"

	var logged bytes.Buffer
	log := zerolog.New(&logged)
	log.Info().Object("config", cfg).Msg("loaded")
	outputs := map[string]string{
		"Redacted": cfg.Redacted(),
		"String":   cfg.String(),
		"%v":       fmt.Sprintf("%v", cfg),
		"%+v":      fmt.Sprintf("%+v", *cfg),
		"%#v":      fmt.Sprintf("%#v", cfg),
		"%s":       fmt.Sprintf("%s", *cfg),
		"zerolog":  logged.String(),
	}
	for name, out := range outputs {
		for _, secret := range []string{"s3cretPW", "qpw", "tok3n", "natsPW"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output shows secret %q:\n%s", name, secret, out)
			}
		}
		for _, kept := range []string{"reader:xxxxx@ch-1:9000,ch-2:9000", "alice:xxxxx@n2:4222"} {
			if !strings.Contains(out, kept) {
				t.Errorf("%s output lacks %q:\n%s", name, kept, out)
			}
		}
	}
	if !strings.Contains(cfg.Redacted(), "/etc/counternet/nats.creds") {
		t.Errorf("Redacted should name the credentials file")
	}
	// The redacted YAML is itself a valid config.
	if _, err := Parse("redacted.yaml", []byte(cfg.Redacted()), WithLookupEnv(noEnv)); err != nil {
		t.Errorf("redacted config does not load back: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://token@h:4222", "nats://xxxxx@h:4222"},
		{"clickhouse://counternet@h:9000/db", "clickhouse://counternet@h:9000/db"},
		{"nats://u:p@h1:4222,nats://h2:4222", "nats://u:xxxxx@h1:4222,nats://h2:4222"},
		{"clickhouse://u:p@a:9000,b:9000/db", "clickhouse://u:xxxxx@a:9000,b:9000/db"},
		{"tcp://h:9000?username=u&password=p&debug=true", "tcp://h:9000?debug=true&password=xxxxx&username=u"},
		{"tcp://u:pa?ss@h:9000", "tcp://(redacted)"},
		{"u:p@h", "(redacted)"},
		{"localhost:9000", "localhost:9000"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPipelineFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"pipelines/b.yaml", "pipelines/a.yaml", "pipelines/notes.txt", "extra/c.yaml"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("name: x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "pipelines", "dir.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(dir, "extra", "*.yaml")
	tests := []struct {
		name    string
		globs   []string
		want    []string
		wantErr []string
	}{
		{
			name:  "relative, sorted, directories skipped",
			globs: []string{"pipelines/*.yaml"},
			want:  []string{"pipelines/a.yaml", "pipelines/b.yaml"},
		},
		{
			name:  "absolute and overlapping globs, each file once",
			globs: []string{abs, "pipelines/a.yaml", "pipelines/*.yaml"},
			want:  []string{"extra/c.yaml", "pipelines/a.yaml", "pipelines/b.yaml"},
		},
		{
			name:    "every glob without a match reported",
			globs:   []string{"pipelines/*.yaml", "none/*.yaml", "pipelines/dir.yaml"},
			wantErr: []string{`"none/*.yaml"`, `"pipelines/dir.yaml"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Config{Collect: Collect{Pipelines: tt.globs}}
			got, err := cfg.PipelineFiles(dir)
			if tt.wantErr != nil {
				if !errors.Is(err, ErrNoMatch) {
					t.Fatalf("want ErrNoMatch, got %v", err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %s", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, filepath.Join(dir, w))
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0: "0s", 2 * time.Hour: "2h", 2160 * time.Hour: "2160h", 90 * time.Minute: "1h30m",
		2 * time.Minute: "2m", 30 * time.Second: "30s", 500 * time.Millisecond: "500ms",
		time.Hour + time.Second: "1h0m1s", -5 * time.Second: "-5s",
	}
	for d, want := range tests {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestDate(t *testing.T) {
	d, err := ParseDate("2026-02-28")
	if err != nil {
		t.Fatal(err)
	}
	if d.String() != "2026-02-28" || !d.Time().Equal(time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("got %s / %v", d, d.Time())
	}
	if _, err := ParseDate("2026-02-30"); err == nil {
		t.Error("ParseDate accepted February 30")
	}
}

// FuzzParse checks that no input makes Parse panic, and that every problem
// it reports says where it is.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(configs.Default)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fuzz.yaml", data, WithLookupEnv(noEnv))
		if err == nil {
			return
		}
		var cerr *Error
		if !errors.As(err, &cerr) {
			t.Fatalf("error %T is not a *config.Error: %v", err, err)
		}
		for _, fe := range cerr.Errors {
			if fe.Msg == "" || (fe.File == "" && fe.Source == "") {
				t.Errorf("problem without message or place: %+v", fe)
			}
		}
	})
}
