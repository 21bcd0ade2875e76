package config

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"
)

// Masked replaces a secret in redacted output.
const Masked = "xxxxx"

// RedactURL masks the secrets in a URL, or in a comma-separated list of
// URLs: the password of user:password, a user given alone in a NATS URL
// (NATS takes it as a token; a ClickHouse user alone is a name and shown), and query parameters named like secrets (password, token, ...).
// A URL that cannot be parsed and holds '@' or '=' is masked whole after its
// scheme. A part without "://" continues the URL before it, as in
// clickhouse-go's host lists (clickhouse://u:p@h1:9000,h2:9000/db).
func RedactURL(s string) string {
	if s == "" {
		return ""
	}
	var urls []string
	for part := range strings.SplitSeq(s, ",") {
		if len(urls) > 0 && !strings.Contains(part, "://") {
			urls[len(urls)-1] += "," + part
			continue
		}
		urls = append(urls, part)
	}
	for i, u := range urls {
		urls[i] = redactOne(u)
	}
	return strings.Join(urls, ",")
}

func redactOne(raw string) string {
	lead := raw[:len(raw)-len(strings.TrimLeft(raw, " \t"))]
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Opaque != "" {
		if !strings.ContainsAny(raw, "@=") {
			return raw
		}
		scheme, _, found := strings.Cut(strings.TrimSpace(raw), "://")
		if !found {
			return lead + "(redacted)"
		}
		return lead + scheme + "://(redacted)"
	}
	if u.User != nil {
		switch _, has := u.User.Password(); {
		case has:
			u.User = url.UserPassword(u.User.Username(), Masked)
		case userIsName(u.Scheme):
			// A ClickHouse user without a password in the URL is a name
			// (its password comes from clickhouse.password_file): shown.
		default:
			u.User = url.User(Masked) // NATS takes a user alone as a token
		}
	}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			u.RawQuery = "(redacted)"
		} else {
			for k := range q {
				if secretParam(k) {
					q[k] = []string{Masked}
				}
			}
			u.RawQuery = q.Encode()
		}
	}
	return lead + u.String()
}

// secretParam reports whether a URL query parameter likely holds a secret.
func secretParam(name string) bool {
	name = strings.ToLower(name)
	for _, s := range []string{"pass", "pwd", "secret", "token", "key", "auth", "cred", "jwt", "seed"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// Redacted is the configuration as YAML with every secret masked: the
// ClickHouse DSN and NATS URLs pass through RedactURL. The credentials file
// is named, never read.
func (c Config) Redacted() string {
	r := c
	r.NATS.URL = RedactURL(c.NATS.URL)
	r.ClickHouse.DSN = RedactURL(c.ClickHouse.DSN)
	var n yaml.Node
	if err := n.Encode(r); err != nil {
		return fmt.Sprintf("(config not printable: %v)", err)
	}
	for _, e := range indexNodes(&n).entries {
		if e.isKey || typeAt(e.path) != reflect.TypeFor[time.Duration]() {
			continue
		}
		if d, err := time.ParseDuration(e.node.Value); err == nil {
			e.node.Value = formatDuration(d)
		}
	}
	out, err := yaml.Marshal(&n)
	if err != nil {
		return fmt.Sprintf("(config not printable: %v)", err)
	}
	return string(out)
}

// String is Redacted, so that printing a Config never shows a secret.
func (c Config) String() string { return c.Redacted() }

// GoString is Redacted, so that %#v never shows a secret either.
func (c Config) GoString() string { return c.Redacted() }

// MarshalZerologObject logs the settings an operator checks at start-up,
// with secrets masked.
func (c Config) MarshalZerologObject(e *zerolog.Event) {
	natsURL := "embedded"
	if !c.NATS.Embedded() {
		natsURL = RedactURL(c.NATS.URL)
	}
	dsn := "managed"
	if !c.ClickHouse.Managed() {
		dsn = RedactURL(c.ClickHouse.DSN)
	}
	e.Str("data_dir", c.DataDir).
		Str("log_level", c.Log.Level).
		Str("tor_socks", c.Tor.Socks).
		Str("nats_url", natsURL).
		Bool("nats_credentials", c.NATS.Credentials != "").
		Str("nats_user", c.NATS.User).
		Bool("clickhouse_password_file", c.ClickHouse.PasswordFile != "").
		Str("nats_stream", c.NATS.Stream).
		Int("nats_replicas", c.NATS.Replicas).
		Str("clickhouse_dsn", dsn).
		Str("clickhouse_database", c.ClickHouse.Database).
		Strs("pipelines", c.Collect.Pipelines).
		Strs("sources", c.Collect.Sources).
		Str("fx_as_of", c.FX.AsOf.String())
}

// userIsName reports schemes whose user, given without a password, is a
// user name, not a secret: ClickHouse's native protocol.
func userIsName(scheme string) bool {
	return scheme == "clickhouse" || scheme == "tcp"
}
