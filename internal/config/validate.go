package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/counternet/counternet/internal/schedule"
)

// Limits enforced by validation.
const (
	MinPageBytes = 64 << 10  // smallest collect.max_page_bytes: 64 KiB
	MaxPageBytes = 256 << 20 // largest collect.max_page_bytes: 256 MiB
	MaxReplicas  = 5         // JetStream's largest replica count
	MaxRetries   = 20        // largest collect.retries
)

var (
	reIdentifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	reNATSName   = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	reCurrency   = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)
)

// problems checks every value and returns what is wrong, by key.
func (c *Config) problems() []problem {
	var ps []problem
	add := func(field, format string, args ...any) {
		ps = append(ps, problem{field: field, msg: fmt.Sprintf(format, args...)})
	}
	positive := func(field string, d time.Duration) {
		if d <= 0 {
			add(field, "must be a duration greater than 0, got %s", formatDuration(d))
		}
	}

	if strings.TrimSpace(c.DataDir) == "" {
		add("data_dir", "must not be empty: captures, the embedded NATS store and ClickHouse data are kept there")
	}

	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		add("log.level", "unknown level %q, want debug, info, warn or error", shorten(c.Log.Level))
	}
	if !slices.Contains([]string{"console", "json"}, c.Log.Format) {
		add("log.format", "unknown format %q, want console or json", shorten(c.Log.Format))
	}

	if msg := checkHostPort(c.Tor.Socks); msg != "" {
		add("tor.socks", "%s", msg)
	}
	positive("tor.connect_timeout", c.Tor.ConnectTimeout)

	if c.NATS.URL != "" {
		for _, msg := range checkNATSURLs(c.NATS.URL) {
			add("nats.url", "%s", msg)
		}
	}
	if c.NATS.Credentials != "" && strings.TrimSpace(c.NATS.Credentials) != c.NATS.Credentials {
		add("nats.credentials", "path starts or ends with white space")
	}
	for _, f := range []struct{ field, value string }{
		{"nats.user", c.NATS.User}, {"nats.password_file", c.NATS.PasswordFile}, {"clickhouse.password_file", c.ClickHouse.PasswordFile},
		{"run.metrics_token_file", c.Run.MetricsTokenFile},
	} {
		if f.value != "" && strings.TrimSpace(f.value) != f.value {
			add(f.field, "starts or ends with white space")
		}
	}
	switch {
	case c.NATS.URL == "" && (c.NATS.User != "" || c.NATS.PasswordFile != "" || c.NATS.Credentials != ""):
		add(natsAuthField(c.NATS), "authenticates to an external server (nats.url); the embedded server makes its own users under data_dir/secrets")
	case (c.NATS.User == "") != (c.NATS.PasswordFile == ""):
		add(natsAuthField(c.NATS), "nats.user and nats.password_file go together: set both or neither")
	case c.NATS.User != "" && c.NATS.Credentials != "":
		add("nats.credentials", "set nats.credentials or nats.user with nats.password_file, not both")
	}
	if !reNATSName.MatchString(c.NATS.Stream) {
		add("nats.stream", "stream name %q must be letters, digits, '-' and '_' (no spaces, dots, '*' or '>')", shorten(c.NATS.Stream))
	}
	if c.NATS.Replicas < 1 || c.NATS.Replicas > MaxReplicas {
		add("nats.replicas", "must be between 1 and %d, got %d", MaxReplicas, c.NATS.Replicas)
	}
	positive("nats.max_age", c.NATS.MaxAge)
	positive("nats.duplicate_window", c.NATS.DuplicateWindow)
	if c.NATS.MaxAge > 0 && c.NATS.DuplicateWindow > c.NATS.MaxAge {
		ps = append(ps, problem{field: "nats.duplicate_window", related: []string{"nats.max_age"},
			msg: fmt.Sprintf("%s is longer than nats.max_age (%s); JetStream refuses a stream whose duplicate window exceeds its max age",
				formatDuration(c.NATS.DuplicateWindow), formatDuration(c.NATS.MaxAge))})
	}

	if c.ClickHouse.DSN != "" {
		if msg := checkDSN(c.ClickHouse.DSN); msg != "" {
			add("clickhouse.dsn", "%s", msg)
		}
	}
	if c.ClickHouse.PasswordFile != "" {
		if c.ClickHouse.DSN == "" {
			add("clickhouse.password_file", "authenticates to an external server (clickhouse.dsn); the managed server makes its own users under data_dir/clickhouse/secrets")
		} else if dsnHasPassword(c.ClickHouse.DSN) {
			add("clickhouse.password_file", "clickhouse.dsn holds a password already: keep it in one place")
		}
	}
	if !reIdentifier.MatchString(c.ClickHouse.Database) {
		add("clickhouse.database", "%q is not a database name: letters, digits and '_', not starting with a digit", shorten(c.ClickHouse.Database))
	}

	if len(c.Collect.Pipelines) == 0 {
		add("collect.pipelines", "must list at least one glob of site files, like pipelines/*.yaml")
	}
	for i, g := range c.Collect.Pipelines {
		field := fmt.Sprintf("collect.pipelines[%d]", i)
		if strings.TrimSpace(g) == "" {
			add(field, "empty glob")
		} else if _, err := filepath.Match(g, ""); err != nil {
			add(field, "bad glob %q: %v", shorten(g), err)
		}
	}
	seen := make(map[string]bool)
	for i, s := range c.Collect.Sources {
		field := fmt.Sprintf("collect.sources[%d]", i)
		switch {
		case strings.TrimSpace(s) == "":
			add(field, "empty source name")
		case seen[s]:
			add(field, "source %q listed twice", shorten(s))
		}
		seen[s] = true
	}
	if strings.TrimSpace(c.Collect.UserAgent) == "" {
		add("collect.user_agent", "must not be empty")
	} else if strings.ContainsFunc(c.Collect.UserAgent, unicode.IsControl) {
		add("collect.user_agent", "must not contain control characters such as line breaks")
	}
	positive("collect.timeout", c.Collect.Timeout)
	if c.Collect.MaxPageBytes < MinPageBytes || c.Collect.MaxPageBytes > MaxPageBytes {
		add("collect.max_page_bytes", "must be between %d (64 KiB) and %d (256 MiB), got %d",
			MinPageBytes, MaxPageBytes, c.Collect.MaxPageBytes)
	}
	if c.Collect.Retries < 0 || c.Collect.Retries > MaxRetries {
		add("collect.retries", "must be between 0 and %d, got %d", MaxRetries, c.Collect.Retries)
	}
	positive("collect.publish_timeout", c.Collect.PublishTimeout)
	if p := c.Collect.ImageBlocklist; p != "" {
		if !c.Collect.Images {
			add("collect.image_blocklist", "is set but collect.images is off: no photo would be checked against it")
		} else if st, err := os.Stat(p); err != nil {
			add("collect.image_blocklist", "%v", err)
		} else if st.IsDir() {
			add("collect.image_blocklist", "%s is a directory, not a blocklist file", p)
		}
	}

	if !reNATSName.MatchString(c.Load.Consumer) {
		add("load.consumer", "consumer name %q must be letters, digits, '-' and '_' (no spaces, dots, '*' or '>')", shorten(c.Load.Consumer))
	}
	if c.Load.BatchSize < 1 {
		add("load.batch_size", "must be at least 1, got %d", c.Load.BatchSize)
	}
	if c.Load.MaxAckPending < 1 {
		add("load.max_ack_pending", "must be at least 1, got %d", c.Load.MaxAckPending)
	} else if c.Load.BatchSize >= 1 && c.Load.MaxAckPending <= c.Load.BatchSize {
		ps = append(ps, problem{field: "load.max_ack_pending", related: []string{"load.batch_size"},
			msg: fmt.Sprintf("%d must be greater than load.batch_size (%d): a pull consumer whose max_ack_pending is below "+
				"the batch size stalls, since the loader acknowledges only after a full batch is inserted and JetStream "+
				"stops delivering at max_ack_pending", c.Load.MaxAckPending, c.Load.BatchSize)})
	}
	positive("load.flush_interval", c.Load.FlushInterval)
	positive("load.ack_wait", c.Load.AckWait)
	if c.Load.CompactInterval < 0 {
		add("load.compact_interval", "must not be negative (0 never merges), got %s", formatDuration(c.Load.CompactInterval))
	}
	if c.Load.FlushInterval > 0 && c.Load.AckWait > 0 && c.Load.AckWait <= c.Load.FlushInterval {
		ps = append(ps, problem{field: "load.ack_wait", related: []string{"load.flush_interval"},
			msg: fmt.Sprintf("%s must be longer than load.flush_interval (%s), or JetStream redelivers messages still waiting in a batch",
				formatDuration(c.Load.AckWait), formatDuration(c.Load.FlushInterval))})
	}
	if c.Load.FetchMax < 1 {
		add("load.fetch_max", "must be at least 1, got %d", c.Load.FetchMax)
	}

	if c.FX.AsOf.IsZero() {
		add("fx.as_of", "missing: the date the rates were taken, like 2026-11-01")
	}
	if len(c.FX.USDPer) == 0 {
		add("fx.usd_per", "must hold at least one rate, like {USD: 1}")
	}
	codes := make([]string, 0, len(c.FX.USDPer))
	for code := range c.FX.USDPer {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		rate, field := c.FX.USDPer[code], "fx.usd_per."+code
		switch {
		case !reCurrency.MatchString(code):
			add(field, "%q is not a currency code: upper-case letters and digits, like EUR or BTC", shorten(code))
		case math.IsNaN(rate) || math.IsInf(rate, 0) || rate <= 0:
			add(field, "rate must be a number greater than 0, got %v", rate)
		case code == "USD" && rate != 1:
			add(field, "one USD is 1 USD, got %v", rate)
		}
	}

	if cc := c.Export.Country; cc != "" && (len(cc) != 2 || strings.ToUpper(cc) != cc) {
		add("export.country", "%q is not an ISO 3166-1 alpha-2 code like NL", shorten(cc))
	}

	if len(c.Run.Roles) == 0 {
		add("run.roles", "must name at least one role: collect, load, console")
	}
	for i, r := range c.Run.Roles {
		if !slices.Contains([]string{"collect", "load", "console"}, r) {
			add(fmt.Sprintf("run.roles[%d]", i), "unknown role %q, want collect, load or console", shorten(r))
		}
	}
	if _, err := schedule.Parse(c.Run.Schedule); err != nil {
		add("run.schedule", "%v", err)
	}
	srcs := make([]string, 0, len(c.Run.Schedules))
	for src := range c.Run.Schedules {
		srcs = append(srcs, src)
	}
	slices.Sort(srcs)
	for _, src := range srcs {
		if _, err := schedule.Parse(c.Run.Schedules[src]); err != nil {
			add("run.schedules."+src, "%v", err)
		}
	}
	if c.Run.Jitter < 0 {
		add("run.jitter", "must not be negative, got %s", formatDuration(c.Run.Jitter))
	}
	positive("run.run_timeout", c.Run.RunTimeout)
	positive("run.shutdown_grace", c.Run.ShutdownGrace)
	if c.Run.MetricsTokenFile != "" && c.Run.MetricsAddr == "" {
		add("run.metrics_token_file", "protects /metrics, which is off (run.metrics_addr is empty)")
	}
	if c.Run.MetricsAddr != "" {
		if msg := checkHostPort(c.Run.MetricsAddr); msg != "" {
			add("run.metrics_addr", "%s", msg)
		}
	}
	ps = append(ps, c.Console.problems()...)
	return ps
}

// problems are the console section's problems.
func (c Console) problems() []problem {
	var ps []problem
	add := func(field, format string, args ...any) {
		ps = append(ps, problem{field: field, msg: fmt.Sprintf(format, args...)})
	}
	if msg := checkHostPort(c.Addr); msg != "" {
		add("console.addr", "%s", msg)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		add("console.tls_cert", "tls_cert and tls_key go together: set both, or neither for a generated self-signed certificate")
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"console.session_idle", c.SessionIdle}, {"console.session_max", c.SessionMax}, {"console.login_window", c.LoginWindow}} {
		if d.v <= 0 {
			add(d.field, "must be a duration greater than 0, got %s", formatDuration(d.v))
		}
	}
	if c.SessionIdle > c.SessionMax && c.SessionMax > 0 {
		add("console.session_idle", "must not exceed session_max (%s), got %s", formatDuration(c.SessionMax), formatDuration(c.SessionIdle))
	}
	if c.LoginMaxPerUser < 1 {
		add("console.login_max_per_user", "must be 1 or more, got %d", c.LoginMaxPerUser)
	}
	if c.LoginMaxPerAddr < 1 {
		add("console.login_max_per_addr", "must be 1 or more, got %d", c.LoginMaxPerAddr)
	}
	if o := c.OIDC; o.Enabled() {
		if u, err := url.Parse(o.Issuer); err != nil || u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
			add("console.oidc.issuer", "want an https:// URL (http:// only on loopback), got %q", shorten(o.Issuer))
		}
		if o.ClientID == "" {
			add("console.oidc.client_id", "must be set when console.oidc.issuer is")
		}
		if u, err := url.Parse(o.RedirectURL); err != nil || u.Scheme != "https" || !strings.HasSuffix(u.Path, "/auth/oidc/callback") {
			add("console.oidc.redirect_url", "want https://<console host>/auth/oidc/callback, got %q", shorten(o.RedirectURL))
		}
		if o.RolesClaim == "" {
			add("console.oidc.roles_claim", "must name the ID token claim mapped to roles")
		}
		keys := make([]string, 0, len(o.Roles))
		for k := range o.Roles {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, r := range o.Roles[k] {
				if !slices.Contains(consoleRoles, r) {
					add("console.oidc.roles."+k, "unknown role %q, want one of %s", shorten(r), strings.Join(consoleRoles, ", "))
				}
			}
		}
	}
	return ps
}

// consoleRoles are the console's roles (internal/auth.Roles; config
// imports nothing of the console).
var consoleRoles = []string{"analyst", "investigator", "approver", "operator", "admin"}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkHostPort checks a host:port with a numeric port and says what is
// wrong, or returns "".
func checkHostPort(hp string) string {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		why := err.Error()
		var ae *net.AddrError
		if errors.As(err, &ae) {
			why = ae.Err
		}
		return fmt.Sprintf("%q is not host:port: %s", shorten(hp), why)
	}
	if host == "" {
		return fmt.Sprintf("%q has no host", shorten(hp))
	}
	if msg := checkPort(port); msg != "" {
		return fmt.Sprintf("%q: %s", shorten(hp), msg)
	}
	return ""
}

// checkPort checks a decimal port number.
func checkPort(port string) string {
	n, err := strconv.Atoi(port)
	switch {
	case err != nil:
		return fmt.Sprintf("port %q is not a number", shorten(port))
	case n < 1 || n > 65535:
		return fmt.Sprintf("port %d out of range 1-65535", n)
	}
	return ""
}

// checkNATSURLs checks a comma-separated list of NATS server URLs.
// Messages show URLs redacted.
func checkNATSURLs(list string) []string {
	var msgs []string
	for raw := range strings.SplitSeq(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			msgs = append(msgs, "empty URL in the comma-separated list")
			continue
		}
		shown := RedactURL(raw)
		u, err := url.Parse(raw)
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("%q is not a URL", shorten(shown)))
			continue
		}
		if !slices.Contains([]string{"nats", "tls", "ws", "wss"}, u.Scheme) {
			msgs = append(msgs, fmt.Sprintf("%q: want a nats://, tls://, ws:// or wss:// URL", shorten(shown)))
			continue
		}
		if u.Hostname() == "" {
			msgs = append(msgs, fmt.Sprintf("%q has no host", shorten(shown)))
		} else if p := u.Port(); p != "" {
			if msg := checkPort(p); msg != "" {
				msgs = append(msgs, fmt.Sprintf("%q: %s", shorten(shown), msg))
			}
		}
	}
	return msgs
}

// checkDSN checks a ClickHouse native-protocol DSN; clickhouse-go accepts
// several hosts, comma separated, in one URL. Messages show it redacted.
func checkDSN(dsn string) string {
	shown := shorten(RedactURL(dsn))
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Sprintf("%q is not a URL", shown)
	}
	if u.Scheme != "clickhouse" && u.Scheme != "tcp" {
		return fmt.Sprintf("%q: want a clickhouse:// or tcp:// URL (the native protocol)", shown)
	}
	if u.Host == "" {
		return fmt.Sprintf("%q has no host", shown)
	}
	for hp := range strings.SplitSeq(u.Host, ",") {
		host, port := hp, ""
		if h, p, err := net.SplitHostPort(hp); err == nil {
			host, port = h, p
		}
		if host == "" {
			return fmt.Sprintf("%q: empty host in the host list", shown)
		}
		if port != "" {
			if msg := checkPort(port); msg != "" {
				return fmt.Sprintf("%q: %s", shown, msg)
			}
		}
	}
	return ""
}

// formatDuration prints d as an operator writes it: 2h rather than 2h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	s, _ = strings.CutSuffix(s, "m0s")
	if len(s) < len(d.String()) {
		s += "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// natsAuthField is the NATS authentication key a problem is reported on.
func natsAuthField(n NATS) string {
	switch {
	case n.User != "":
		return "nats.user"
	case n.PasswordFile != "":
		return "nats.password_file"
	}
	return "nats.credentials"
}

// dsnHasPassword reports whether a DSN carries a password.
func dsnHasPassword(dsn string) bool {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return false
	}
	_, has := u.User.Password()
	return has
}
