package bus

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/counternet/counternet/internal/config"
)

// Roles of NATS clients. The embedded server has one user per role, named
// as the role; an external server gives each role the permissions
// RolePermissions lists (docs/security.md shows them as server config).
const (
	// RoleService is the process that runs the embedded server: every
	// role of counternet at once.
	RoleService = "counternet"
	// RoleCollector publishes events (intel.v1.>) and crawl tasks, and
	// takes crawl tasks from the work queue; it cannot read the event
	// stream, acknowledge events or write dead letters.
	RoleCollector = "collector"
	// RoleLoader consumes the event stream, acknowledges what ClickHouse
	// stored and writes dead letters; it cannot publish events.
	RoleLoader = "loader"
	// RoleReader reads stream and consumer state and dead letters (status,
	// dead-letters); it publishes nothing and consumes nothing.
	RoleReader = "reader"
)

// Roles lists every role, each a user of the embedded server.
var Roles = []string{RoleService, RoleCollector, RoleLoader, RoleReader}

// Users maps each role to its password.
type Users map[string]string

// UsersFile is where the password of role is kept under dir.
func UsersFile(dir, role string) string {
	return filepath.Join(dir, "nats-"+role+".password")
}

// LoadUsers returns the password of every role, kept in dir (see
// UsersFile), creating the missing ones (mode 0600). A password file that
// its group or others may read is refused (config.ErrSecretMode).
func LoadUsers(dir string) (Users, error) {
	u := make(Users, len(Roles))
	for _, r := range Roles {
		pw, err := config.EnsureSecretFile(UsersFile(dir, r))
		if err != nil {
			return nil, fmt.Errorf("loading nats users: %w", err)
		}
		u[r] = pw
	}
	return u, nil
}

// InboxPrefix is the reply-subject prefix of role's connections: each role
// receives replies (JetStream API answers, pulled messages) only on its
// own inboxes, so one role cannot read what is delivered to another.
func InboxPrefix(role string) string {
	if role == RoleService || role == "" {
		return "_INBOX"
	}
	return "_INBOX_" + role
}

// RolePermissions returns what role may publish and subscribe to, with the
// event stream named stream; RoleService gets nil (everything). Anything
// not listed is refused by the server: a collector cannot consume or
// acknowledge events nor write dead letters, a loader cannot publish
// events, no role but the service can delete or purge a stream.
func RolePermissions(role, stream string) (*server.Permissions, error) {
	api := func(format string, args ...any) string { return "$JS.API." + fmt.Sprintf(format, args...) }
	// ensure: what Connect needs to create or update the streams.
	var ensure []string
	for _, s := range []string{stream, DeadLetterStream, TaskStream} {
		ensure = append(ensure, api("STREAM.CREATE.%s", s), api("STREAM.UPDATE.%s", s), api("STREAM.INFO.%s", s))
	}
	// pull: what consuming stream s through a durable consumer needs.
	pull := func(s string) []string {
		return []string{
			api("CONSUMER.CREATE.%s.>", s), api("CONSUMER.DURABLE.CREATE.%s.>", s),
			api("CONSUMER.INFO.%s.>", s), api("CONSUMER.MSG.NEXT.%s.>", s), "$JS.ACK." + s + ".>",
		}
	}
	deadRead := []string{api("STREAM.INFO.%s", DeadLetterStream), api("STREAM.MSG.GET.%s", DeadLetterStream),
		api("DIRECT.GET.%s.>", DeadLetterStream), api("DIRECT.GET.%s", DeadLetterStream)}
	var pub []string
	switch role {
	case RoleService:
		return nil, nil
	case RoleCollector:
		pub = slices.Concat([]string{EventSubjects, TaskSubjects, "$JS.API.INFO"}, ensure, pull(TaskStream))
	case RoleLoader:
		pub = slices.Concat([]string{DeadLetterSubjects, "$JS.API.INFO"}, ensure, pull(stream), deadRead)
	case RoleReader:
		pub = slices.Concat([]string{"$JS.API.INFO", api("STREAM.INFO.*"), api("STREAM.NAMES"), api("STREAM.LIST"),
			api("CONSUMER.INFO.*.*"), api("CONSUMER.NAMES.*"), api("CONSUMER.LIST.*")}, deadRead)
	default:
		return nil, fmt.Errorf("unknown nats role %q, want one of %v", role, Roles)
	}
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: pub},
		Subscribe: &server.SubjectPermission{Allow: []string{InboxPrefix(role) + ".>"}},
	}, nil
}

// serverUsers turns users into the embedded server's users, each with its
// role's permissions.
func serverUsers(users Users, stream string) ([]*server.User, error) {
	var out []*server.User
	for _, r := range Roles {
		pw, ok := users[r]
		if !ok || pw == "" {
			return nil, fmt.Errorf("configuring embedded nats-server: no password for role %s", r)
		}
		perms, err := RolePermissions(r, stream)
		if err != nil {
			return nil, err
		}
		out = append(out, &server.User{Username: r, Password: pw, Permissions: perms})
	}
	return out, nil
}

// ServerUsers is the users of a nats-server that admits counternet's roles
// (every role of users, with RolePermissions for the event stream named
// stream): what the embedded server runs with, for other nats-server
// processes (the test cluster) to run with the same.
func ServerUsers(users Users, stream string) ([]*server.User, error) {
	return serverUsers(users, stream)
}
