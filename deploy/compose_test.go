package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/internal/config"
)

// composeFile is the part of a rendered compose file the test reads.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       map[string]string `yaml:"build"`
		Command     any               `yaml:"command"`
		Entrypoint  any               `yaml:"entrypoint"`
		Environment map[string]string `yaml:"environment"`
		EnvFile     any               `yaml:"env_file"`
		Volumes     []string          `yaml:"volumes"`
		Secrets     any               `yaml:"secrets"`
	} `yaml:"services"`
	Secrets map[string]map[string]string `yaml:"secrets"`
	Volumes map[string]any               `yaml:"volumes"`
}

// TestComposeRenders renders compose.yaml with docker-compose as an
// operator would (the README's steps: only .env with CLICKHOUSE_PASSWORD),
// and loads the collector's and the loader's config strictly with the
// environment compose gives each.
func TestComposeRenders(t *testing.T) {
	dc := tool(t, "docker-compose", "docker-compose")
	dir := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	compose := mustAbs(t, "compose/compose.yaml")

	// Without .env compose must stop and say what to set.
	empty := filepath.Join(dir, "empty.env")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, time.Minute, env, dir, dc, "-f", compose, "--env-file", empty, "config")
	if err == nil || !strings.Contains(out, "CLICKHOUSE_PASSWORD") || !strings.Contains(out, ".env") {
		t.Errorf("compose without .env: err %v, want an error naming CLICKHOUSE_PASSWORD and .env:\n%s", err, out)
	}

	dotenv := filepath.Join(dir, ".env")
	if err := os.WriteFile(dotenv, []byte("CLICKHOUSE_PASSWORD=0a1b2c3d4e5f\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err = run(t, time.Minute, env, dir, dc, "-f", compose, "--env-file", dotenv, "config")
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, out)
	}
	t.Logf("docker-compose config: %s", time.Since(start).Round(time.Millisecond))
	var cf composeFile
	if err := yaml.Unmarshal([]byte(out), &cf); err != nil {
		t.Fatalf("rendered compose file: %v\n%s", err, out)
	}
	for _, s := range []string{"tor", "nats", "clickhouse", "collector", "loader"} {
		if _, ok := cf.Services[s]; !ok {
			t.Errorf("compose lacks service %s", s)
		}
	}
	if len(cf.Secrets) > 0 {
		t.Errorf("compose needs secret files %v beyond .env", cf.Secrets)
	}
	for name, s := range cf.Services {
		if cmd := strings.ToLower(flat(s.Command) + " " + flat(s.Entrypoint)); strings.Contains(cmd, "apt-get") {
			t.Errorf("service %s installs packages at every start: %s", name, cmd)
		}
		if s.EnvFile != nil {
			t.Errorf("service %s needs env_file %v: the README names only .env", name, s.EnvFile)
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if filepath.IsAbs(src) {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("service %s mounts %s, which the repository does not have", name, src)
				}
			} else if _, ok := cf.Volumes[src]; !ok {
				t.Errorf("service %s mounts volume %s, which compose does not declare", name, src)
			}
		}
		if df := s.Build["dockerfile"]; df != "" {
			if _, err := os.Stat(filepath.Join(s.Build["context"], df)); err != nil {
				t.Errorf("service %s builds from %s, which does not exist", name, df)
			}
		}
	}
	tor := cf.Services["tor"]
	if tor.Build["dockerfile"] == "" {
		t.Errorf("the tor service runs image %q instead of one built with tor installed (tor.Dockerfile)", tor.Image)
	}
	cfgs := map[string]*config.Config{}
	for _, role := range []string{"collector", "loader"} {
		s := cf.Services[role]
		path := "compose/" + role + ".yaml"
		if !slices.ContainsFunc(s.Volumes, func(v string) bool {
			return strings.HasPrefix(v, mustAbs(t, path)+":/etc/counternet/"+role+".yaml")
		}) {
			t.Errorf("service %s does not mount %s as /etc/counternet/%s.yaml", role, path, role)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err) // empty data would load as the defaults and pass
		}
		cfg, err := config.Parse(path, data, config.WithLookupEnv(lookup(s.Environment)))
		if err != nil {
			t.Errorf("%s does not load as a counternet config with compose's environment:\n%v", path, err)
			continue
		}
		cfgs[role] = cfg
		// data_dir must be a volume: evidence and the outbox outlive the container.
		if !slices.ContainsFunc(s.Volumes, func(v string) bool { return strings.Contains(v, ":"+cfg.DataDir) }) {
			t.Errorf("%s: data_dir %s is not on a volume", role, cfg.DataDir)
		}
	}
	if col, ld := cfgs["collector"], cfgs["loader"]; col != nil && ld != nil {
		if col.NATS.Embedded() || col.NATS.URL != ld.NATS.URL || !strings.Contains(col.NATS.URL, "//nats:") {
			t.Errorf("nats.url collector %q, loader %q: want the nats service", col.NATS.URL, ld.NATS.URL)
		}
		if !strings.HasPrefix(col.Tor.Socks, "tor:") {
			t.Errorf("collector tor.socks %q: want the tor service", col.Tor.Socks)
		}
		if !strings.Contains(ld.ClickHouse.DSN, ":0a1b2c3d4e5f@clickhouse:") {
			t.Errorf("loader DSN %q does not carry .env's password to the clickhouse service", ld.ClickHouse.DSN)
		}
		if ch := cf.Services["clickhouse"].Environment; ch["CLICKHOUSE_PASSWORD"] != "0a1b2c3d4e5f" || !strings.Contains(ld.ClickHouse.DSN, "//"+ch["CLICKHOUSE_USER"]+":") {
			t.Errorf("clickhouse user %q password %q do not match the loader's DSN", ch["CLICKHOUSE_USER"], ch["CLICKHOUSE_PASSWORD"])
		}
	}
}

// TestImages checks the images compose and Kubernetes run: tor installed at
// build time, counternet as user 10001 owning data_dir.
func TestImages(t *testing.T) {
	tor, err := os.ReadFile("compose/tor.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tor), "RUN apt-get update") || !strings.Contains(string(tor), "install -y --no-install-recommends tor") {
		t.Error("tor.Dockerfile does not install tor when the image is built")
	}
	cn, err := os.ReadFile("compose/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--uid 10001", "install -d -o 10001 -g 10001 -m 0700 /var/lib/counternet /var/lib/counternet/data", "USER 10001:10001"} {
		if !strings.Contains(string(cn), want) {
			t.Errorf("Dockerfile lacks %q: a fresh data volume would not be the counternet user's", want)
		}
	}
}

// flat joins a compose command (string or list) into one string.
func flat(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var parts []string
		for _, p := range v {
			parts = append(parts, flat(p))
		}
		return strings.Join(parts, " ")
	}
	return ""
}
