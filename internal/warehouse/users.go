package warehouse

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/counternet/counternet/internal/config"
)

// Users of the managed server. Each has a password generated at first
// start and kept in <dir>/secrets/<user>.password (mode 0600); there is no
// user without a password, so a client that brings none is refused.
const (
	// WriterUser creates and migrates the schema, loads events and
	// reference data: the loader, migrate, service and demo roles.
	WriterUser = "counternet"
	// ReadOnlyUser is the analysts' user: it reads every database and
	// changes nothing (profile setting readonly=1: no writes, no DDL, no
	// setting changes).
	ReadOnlyUser = "readonly"
	// ExporterUser is the user of counternet export, which reads the
	// selection and appends to export_audit, in the audit database
	// (AuditDatabase) that only it may write.
	ExporterUser = "exporter"
)

// AuditDatabase is the database of export_audit next to the events
// database: ClickHouse 18.16 has no per-table grants, only per-user lists
// of databases (allow_databases), so the audit trail lives in a database of
// its own that the writer may not use and only the exporter writes.
func AuditDatabase(database string) string { return database + "_audit" }

// userDatabases is what allow_databases lists for user when the server
// serves database: the writer database only, the exporter and the
// analysts both database and its audit database; each also "default",
// where a client that names no database lands (it holds nothing of
// counternet's). nil: every database.
func userDatabases(user, database string) []string {
	if database == "" {
		return nil
	}
	switch user {
	case WriterUser:
		return []string{"default", database}
	case ExporterUser, ReadOnlyUser:
		return []string{"default", database, AuditDatabase(database)}
	}
	return nil
}

// LocalUsers lists the managed server's users.
var LocalUsers = []string{WriterUser, ReadOnlyUser, ExporterUser}

// LocalOptions change how StartLocalWith configures the server.
type LocalOptions struct {
	// OpenTestUsers adds a user "default" without a password and makes
	// ReadOnlyUser passwordless, as the server was before it
	// authenticated. Only for the shared test server of tests that build
	// DSNs without credentials; never for data that matters.
	OpenTestUsers bool
	// Database is the events database the server is for. When set, each
	// user may use only its databases (allow_databases): WriterUser the
	// events database, ExporterUser and ReadOnlyUser that and its audit
	// database (AuditDatabase), so that only the exporter can write the
	// audit trail. Empty: every user may use every database.
	Database string
}

// secretsDir is where the passwords of the server's users are kept.
func (l *Local) secretsDir() string { return filepath.Join(l.dir, "secrets") }

// PasswordFile is the file holding user's password (mode 0600).
func (l *Local) PasswordFile(user string) string {
	return filepath.Join(l.secretsDir(), user+".password")
}

// loadPasswords reads every user's password, creating missing ones. A
// password file that its group or others may read is refused.
func (l *Local) loadPasswords() error {
	l.passwords = make(map[string]string, len(LocalUsers))
	for _, u := range LocalUsers {
		pw, err := config.EnsureSecretFile(l.PasswordFile(u))
		if err != nil {
			return fmt.Errorf("starting clickhouse-server: %w", err)
		}
		l.passwords[u] = pw
	}
	if l.opts.OpenTestUsers {
		l.passwords[ReadOnlyUser] = ""
	}
	return nil
}

// UserDSN is the native protocol DSN of database on this server as user,
// password included: it is a secret, never to be logged unredacted.
func (l *Local) UserDSN(user, database string) string {
	u := url.URL{Scheme: "clickhouse", Host: l.Addr(), Path: "/" + database}
	if pw := l.passwords[user]; pw != "" {
		u.User = url.UserPassword(user, pw)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

// DSN is the native protocol DSN of database on this server as WriterUser.
func (l *Local) DSN(database string) string { return l.UserDSN(WriterUser, database) }

// ReadOnlyDSN is DSN as ReadOnlyUser.
func (l *Local) ReadOnlyDSN(database string) string { return l.UserDSN(ReadOnlyUser, database) }

// ExporterDSN is DSN as ExporterUser.
func (l *Local) ExporterDSN(database string) string { return l.UserDSN(ExporterUser, database) }

// clientConfigPath is the clickhouse-client config that logs in as
// ReadOnlyUser.
func (l *Local) clientConfigPath() string {
	return filepath.Join(l.secretsDir(), "client-"+ReadOnlyUser+".xml")
}

// writeUsers writes users.xml (password hashes only) and the analysts'
// clickhouse-client config, both mode 0600.
func (l *Local) writeUsers(path string) error {
	var users strings.Builder
	if l.opts.OpenTestUsers {
		users.WriteString(userXML("default", "", "default", nil))
	}
	for _, u := range LocalUsers {
		profile := "default"
		if u == ReadOnlyUser {
			profile = "readonly"
		}
		users.WriteString(userXML(u, l.passwords[u], profile, userDatabases(u, l.opts.Database)))
	}
	if err := writePrivate(path, fmt.Sprintf(usersTemplate, users.String())); err != nil {
		return fmt.Errorf("starting clickhouse-server: writing users config: %w", err)
	}
	client := fmt.Sprintf("<?xml version=\"1.0\"?>\n<!-- Written by counternet: clickhouse-client as %s. -->\n"+
		"<config>\n    <user>%s</user>\n    <password>%s</password>\n</config>\n",
		ReadOnlyUser, ReadOnlyUser, xmlText(l.passwords[ReadOnlyUser]))
	if err := writePrivate(l.clientConfigPath(), client); err != nil {
		return fmt.Errorf("starting clickhouse-server: writing client config: %w", err)
	}
	return nil
}

// writePrivate writes data to path with mode 0600, narrowing the mode of a
// file written earlier with a wider one.
func writePrivate(path, data string) error {
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

// userXML is one user of users.xml: its password as a SHA-256 hash (none
// when password is empty), loopback only, limited to databases unless that
// is empty.
func userXML(name, password, profile string, databases []string) string {
	pw := "<password></password>"
	if password != "" {
		sum := sha256.Sum256([]byte(password))
		pw = "<password_sha256_hex>" + hex.EncodeToString(sum[:]) + "</password_sha256_hex>"
	}
	var allow string
	if len(databases) > 0 {
		var b strings.Builder
		b.WriteString("\n            <allow_databases>\n")
		for _, d := range databases {
			b.WriteString("                <database>" + xmlText(d) + "</database>\n")
		}
		b.WriteString("            </allow_databases>")
		allow = b.String()
	}
	return fmt.Sprintf(`        <%s>
            %s
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>%s</profile>
            <quota>default</quota>%s
        </%s>
`, name, pw, profile, allow, name)
}

// usersTemplate is users.xml around the users: profile default for
// writing users, readonly (readonly=1: reads, no writes, no DDL, no setting
// changes) for analysts.
const usersTemplate = `<?xml version="1.0"?>
<!-- Written by counternet on every start; edits are overwritten. -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>8000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
        <readonly>
            <max_memory_usage>8000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
            <readonly>1</readonly>
        </readonly>
    </profiles>
    <users>
%s    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`
