package deploy

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/config"
)

// units are the systemd units deploy/systemd ships, each with the role its
// config must run.
var units = map[string]string{
	"counternet-collector.service": "collect",
	"counternet-loader.service":    "load",
}

func TestSystemdUnits(t *testing.T) {
	files, _ := filepath.Glob("systemd/*.service")
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	slices.Sort(names)
	if want := []string{"counternet-collector.service", "counternet-loader.service"}; !slices.Equal(names, want) {
		// A tor@counternet.service here would replace Debian's tor@.service
		// template for that instance, as the one shipped before did, with
		// tor@default's data directory, pid file and port.
		t.Errorf("systemd units %v, want %v (tor@counternet is Debian's template with systemd/torrc.counternet)", names, want)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"[Unit]", "[Service]", "[Install]", "ExecStart=", "Restart="} {
			if !strings.Contains(string(data), want) {
				t.Errorf("%s lacks %s", f, want)
			}
		}
	}
}

// TestSystemdVerify runs systemd-analyze verify on each unit, with the
// counternet binary built from this tree where the unit expects it: any
// message (unknown key, bad value, missing executable) fails.
func TestSystemdVerify(t *testing.T) {
	sa := tool(t, "systemd-analyze", "systemd")
	bin := counternetBinary(t)
	dir := t.TempDir()
	var paths []string
	for name := range units {
		data, err := os.ReadFile(filepath.Join("systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "ExecStart=/usr/local/bin/counternet ") {
			t.Fatalf("%s: ExecStart does not run /usr/local/bin/counternet", name)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(data), "/usr/local/bin/counternet", bin)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	start := time.Now()
	out, err := run(t, time.Minute, nil, dir, sa, append([]string{"verify", "--man=no"}, paths...)...)
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	t.Logf("systemd-analyze verify on %d units: %s", len(paths), time.Since(start).Round(time.Millisecond))
}

// unitValues lists a unit's values of key (Key=value lines).
func unitValues(t *testing.T, name, key string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("systemd", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vals []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), key+"="); ok {
			vals = append(vals, v)
		}
	}
	return vals
}

// envFile reads KEY=VALUE lines (no comments) of a shipped env file.
func envFile(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			env[k] = v
		}
	}
	return env
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

var reConfigFlag = regexp.MustCompile(`--config (\S+)`)

// TestSystemdConfigs loads the config each unit names, as shipped in
// deploy/systemd, strictly and with the environment of env.example, and
// checks that the collector and the loader can run side by side.
func TestSystemdConfigs(t *testing.T) {
	env := envFile(t, "systemd/env.example")
	if got := unitValues(t, "counternet-collector.service", "EnvironmentFile"); !slices.Equal(got, []string{"-/etc/counternet/env"}) {
		t.Errorf("collector EnvironmentFile %v, want -/etc/counternet/env (systemd/env.example)", got)
	}
	cfgs := map[string]*config.Config{}
	for name, role := range units {
		exec := unitValues(t, name, "ExecStart")
		if len(exec) != 1 {
			t.Fatalf("%s: %d ExecStart lines", name, len(exec))
		}
		m := reConfigFlag.FindStringSubmatch(exec[0])
		if m == nil || filepath.Dir(m[1]) != "/etc/counternet" {
			t.Fatalf("%s: ExecStart %q names no config under /etc/counternet", name, exec[0])
		}
		shipped := filepath.Join("systemd", filepath.Base(m[1]))
		data, err := os.ReadFile(shipped)
		if err != nil {
			t.Errorf("%s runs with %s, which deploy/systemd does not ship: %v", name, m[1], err)
			continue
		}
		cfg, err := config.Parse(shipped, data, config.WithLookupEnv(lookup(env)))
		if err != nil {
			t.Errorf("%s does not load as a counternet config:\n%v", shipped, err)
			continue
		}
		if !slices.Equal(cfg.Run.Roles, []string{role}) {
			t.Errorf("%s: run.roles %v, want [%s]", shipped, cfg.Run.Roles, role)
		}
		if rw := unitValues(t, name, "ReadWritePaths"); len(rw) != 1 || !strings.HasPrefix(cfg.DataDir+"/", rw[0]+"/") {
			t.Errorf("%s: data_dir %s is not under the unit's ReadWritePaths %v", shipped, cfg.DataDir, rw)
		}
		cfgs[role] = cfg
	}
	col, ld := cfgs["collect"], cfgs["load"]
	if col == nil || ld == nil {
		return
	}
	// Two processes: an embedded NATS in one would be out of the other's reach.
	if col.NATS.Embedded() || col.NATS.URL != ld.NATS.URL {
		t.Errorf("collector nats.url %q, loader %q: both must name the same nats-server", col.NATS.URL, ld.NATS.URL)
	}
	if ld.ClickHouse.Managed() || !strings.Contains(ld.ClickHouse.DSN, ":CHANGE_ME@") {
		t.Errorf("loader DSN %q: want env.example's COUNTERNET_CLICKHOUSE_DSN, with its password, over the file's", ld.ClickHouse.DSN)
	}
	if col.Run.MetricsAddr == ld.Run.MetricsAddr {
		t.Errorf("collector and loader both serve metrics on %s", col.Run.MetricsAddr)
	}
	socks := torrcValues(t, "systemd/torrc.counternet")["SocksPort"]
	if len(socks) != 1 || strings.Fields(socks[0])[0] != col.Tor.Socks {
		t.Errorf("collector tor.socks %s, torrc.counternet SocksPort %v: they must agree", col.Tor.Socks, socks)
	}
}

// torrcValues reads a torrc: option name to its values, in order.
func torrcValues(t *testing.T, path string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		opts[k] = append(opts[k], strings.TrimSpace(v))
	}
	return opts
}

// effective is tor's view of a defaults file and a torrc: an option the
// torrc sets replaces all of the defaults' values of it.
func effective(defaults, torrc map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range torrc {
		out[k] = v
	}
	return out
}

// listeners names what a SocksPort value binds: a unix socket path or a TCP port.
func listeners(vals []string) []string {
	var out []string
	for _, v := range vals {
		addr := strings.Fields(v)[0]
		if p, ok := strings.CutPrefix(addr, "unix:"); ok {
			out = append(out, "unix:"+p)
			continue
		}
		if _, port, err := net.SplitHostPort(addr); err == nil {
			addr = port
		}
		out = append(out, "tcp:"+addr)
	}
	return out
}

// TestTorInstanceApartFromDefault checks that tor@counternet, Debian's
// tor@.service template with torrc.counternet, shares no data directory,
// pid file, control socket or SOCKS port with tor@default, and that tor
// accepts the configuration (tor --verify-config).
func TestTorInstanceApartFromDefault(t *testing.T) {
	torBin := tor(t)
	const template = "/lib/systemd/system/tor@.service"
	tmpl, err := os.ReadFile(template)
	if err != nil {
		t.Fatalf("Debian's tor package installs %s: %v", template, err)
	}
	for _, want := range []string{"-f /etc/tor/instances/%i/torrc", "/usr/share/tor/tor-service-defaults-torrc-instances"} {
		if !strings.Contains(string(tmpl), want) {
			t.Fatalf("%s no longer reads %s: torrc.counternet's install steps are wrong", template, want)
		}
	}
	raw, err := os.ReadFile("/usr/share/tor/tor-service-defaults-torrc-instances")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	defaults := filepath.Join(dir, "counternet.defaults")
	if err := os.WriteFile(defaults, []byte(strings.ReplaceAll(string(raw), "@@NAME@@", "counternet")), 0o644); err != nil {
		t.Fatal(err)
	}
	inst := effective(torrcValues(t, defaults), torrcValues(t, "systemd/torrc.counternet"))
	def := torrcValues(t, "/usr/share/tor/tor-service-defaults-torrc")
	if _, err := os.Stat("/etc/tor/torrc"); err == nil {
		def = effective(def, torrcValues(t, "/etc/tor/torrc"))
	}
	for _, opt := range []string{"DataDirectory", "PidFile", "ControlSocket", "CookieAuthFile"} {
		for _, v := range inst[opt] {
			if slices.Contains(def[opt], v) {
				t.Errorf("tor@counternet's %s %s is tor@default's too", opt, v)
			}
		}
	}
	for _, l := range listeners(inst["SocksPort"]) {
		if slices.Contains(listeners(def["SocksPort"]), l) {
			t.Errorf("tor@counternet's SocksPort %s is tor@default's too", l)
		}
	}
	// tor-instance-create makes the instance's user _tor-counternet; the
	// test cannot, so tor checks everything but that user.
	var noUser []string
	for _, line := range strings.Split(strings.ReplaceAll(string(raw), "@@NAME@@", "counternet"), "\n") {
		if !strings.HasPrefix(line, "User ") {
			noUser = append(noUser, line)
		}
	}
	if err := os.WriteFile(defaults, []byte(strings.Join(noUser, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, 30*time.Second, nil, dir, torBin, "--defaults-torrc", defaults, "-f",
		mustAbs(t, "systemd/torrc.counternet"), "--verify-config")
	if err != nil || !strings.Contains(out, "Configuration was valid") {
		t.Errorf("tor --verify-config: %v\n%s", err, out)
	}
}

func tor(t *testing.T) string { return tool(t, "tor", "tor") }

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
