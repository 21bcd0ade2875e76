// Package bus is counternet's connection to NATS JetStream: an embedded
// in-process server for one-machine use, idempotent creation of the event
// stream and the loader's durable pull consumer, and a publisher that sends
// every event with its event id as Nats-Msg-Id and reports exactly which
// events were not stored.
package bus

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/event"
)

// Subjects of the event stream and the dead-letter stream.
const (
	EventSubjects      = event.SubjectPrefix + ".>"
	DeadLetterPrefix   = "intel.dead"
	DeadLetterSubjects = DeadLetterPrefix + ".>"
	DeadLetterStream   = "INTEL_DEAD"
	// HeaderReason carries why a message was dead-lettered.
	HeaderReason = "Counternet-Reason"
	// HeaderSubject carries the subject a dead-lettered message arrived on.
	HeaderSubject = "Counternet-Subject"
	// TaskStream is the work queue of crawl tasks shared by collector
	// processes: each task (one scheduled run of one source) is delivered to
	// one collector and removed once acknowledged.
	TaskStream   = "CRAWL_TASKS"
	TaskPrefix   = "crawl.tasks"
	TaskSubjects = TaskPrefix + ".>"
)

// Embedded is a nats-server running in this process with JetStream on a file
// store, listening on a free loopback port, that admits only its users (one
// per role, see Roles).
type Embedded struct {
	srv   *server.Server
	users Users
}

// StartEmbedded starts an in-process JetStream server storing under dir that
// admits only users, each with its role's permissions over the event stream
// named stream ("" means INTEL). port 0 picks a free port. Every role must
// have a password: the server never runs open.
func StartEmbedded(dir string, port int, users Users, stream string) (*Embedded, error) {
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if stream == "" {
		stream = "INTEL"
	}
	su, err := serverUsers(users, stream)
	if err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName: "counternet-embedded",
		Host:       "127.0.0.1",
		Port:       port,
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: 1 << 20,
		Users:      su,
		// Without credentials a client is refused: there is no
		// anonymous user (NoAuthUser stays empty).
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("configuring embedded nats-server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("starting embedded nats-server: not ready within 30s")
	}
	return &Embedded{srv: srv, users: users}, nil
}

// URL is the client URL of the embedded server, without credentials.
func (e *Embedded) URL() string { return e.srv.ClientURL() }

// Password is the password of role's user ("" for an unknown role).
func (e *Embedded) Password(role string) string { return e.users[role] }

// URLFor is the client URL with role's user and password in it, for
// tests and in-process clients; it holds a secret: never log it (bus and
// config redact it, see config.RedactURL).
func (e *Embedded) URLFor(role string) string {
	u, err := url.Parse(e.URL())
	if err != nil {
		return e.URL()
	}
	u.User = url.UserPassword(role, e.users[role])
	return u.String()
}

// Shutdown stops the server and waits for it; it is safe to call twice.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// Options say how to reach NATS and how the event stream is shaped.
type Options struct {
	URL         string // one or more nats:// URLs, comma separated
	Credentials string // path to a .creds file of mode 0600, optional
	User        string // user name, with Password; optional
	Password    string
	// InboxPrefix is the prefix of reply subjects ("" means _INBOX); a
	// role-restricted user may subscribe only to its own (InboxPrefix).
	InboxPrefix     string
	Name            string // client name shown in server monitoring
	Stream          string
	Replicas        int
	MaxAge          time.Duration
	DuplicateWindow time.Duration
	// Existing connects without creating or updating the streams: for
	// read commands, which must change nothing a running service uses.
	Existing bool
}

// Conn is a NATS connection with JetStream and the event stream ensured.
type Conn struct {
	NC   *nats.Conn
	JS   jetstream.JetStream
	opts Options
	log  zerolog.Logger
}

// Connect dials NATS and creates or updates the event and dead-letter
// streams; doing so again with the same options changes nothing.
func Connect(ctx context.Context, opts Options, log zerolog.Logger) (*Conn, error) {
	if opts.Stream == "" {
		opts.Stream = "INTEL"
	}
	if opts.Replicas == 0 {
		opts.Replicas = 1
	}
	nopts := []nats.Option{
		nats.Name(opts.Name),
		nats.Timeout(10 * time.Second),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.ReconnectBufSize(32 << 20),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn().Err(err).Msg("nats disconnected")
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info().Str("server", redactURL(nc.ConnectedUrl())).Msg("nats reconnected")
		}),
	}
	if opts.Credentials != "" {
		if err := config.CheckSecretFile(opts.Credentials); err != nil {
			return nil, fmt.Errorf("connecting to nats %s: %w", redactURL(opts.URL), err)
		}
		nopts = append(nopts, nats.UserCredentials(opts.Credentials))
	}
	if opts.User != "" {
		nopts = append(nopts, nats.UserInfo(opts.User, opts.Password))
	}
	if opts.InboxPrefix != "" {
		nopts = append(nopts, nats.CustomInboxPrefix(opts.InboxPrefix))
	}
	nc, err := nats.Connect(opts.URL, nopts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to nats %s: %w", redactURL(opts.URL), err)
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(4096),
		jetstream.WithPublishAsyncTimeout(30*time.Second))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("opening jetstream: %w", err)
	}
	c := &Conn{NC: nc, JS: js, opts: opts, log: log}
	if opts.Existing {
		// A reader (status, dead-letters) neither creates nor changes
		// streams: it sees them as the collectors and loaders left them.
		return c, nil
	}
	if err := c.ensureStreams(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func (c *Conn) ensureStreams(ctx context.Context) error {
	for _, cfg := range []jetstream.StreamConfig{{
		Name:        c.opts.Stream,
		Description: "counternet events: listings, vendors, captures, runs",
		Subjects:    []string{EventSubjects},
		Storage:     jetstream.FileStorage,
		Replicas:    c.opts.Replicas,
		MaxAge:      c.opts.MaxAge,
		Duplicates:  c.opts.DuplicateWindow,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
	}, {
		Name:        DeadLetterStream,
		Description: "counternet messages the loader could not load, with the reason",
		Subjects:    []string{DeadLetterSubjects},
		Storage:     jetstream.FileStorage,
		Replicas:    c.opts.Replicas,
		MaxAge:      c.opts.MaxAge,
		Duplicates:  c.opts.DuplicateWindow,
	}, {
		Name:        TaskStream,
		Description: "counternet crawl tasks: one scheduled run of one source each, for whichever collector takes it",
		Subjects:    []string{TaskSubjects},
		Storage:     jetstream.FileStorage,
		Replicas:    c.opts.Replicas,
		Retention:   jetstream.WorkQueuePolicy,
		MaxAge:      c.opts.MaxAge,
		Duplicates:  c.opts.DuplicateWindow,
	}} {
		if _, err := c.JS.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("ensuring stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}

// ConsumerOptions shape the loader's durable pull consumer.
type ConsumerOptions struct {
	Durable       string
	MaxAckPending int
	AckWait       time.Duration
	// MaxDeliver bounds redeliveries of one message; 0 means unbounded
	// (an outage of ClickHouse must not lose events).
	MaxDeliver int
}

// Consumer creates or updates the durable pull consumer over every event
// subject and returns it.
func (c *Conn) Consumer(ctx context.Context, o ConsumerOptions) (jetstream.Consumer, error) {
	cfg := jetstream.ConsumerConfig{
		Durable:       o.Durable,
		Description:   "counternet loader: events into ClickHouse",
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait:       o.AckWait,
		MaxAckPending: o.MaxAckPending,
		MaxDeliver:    o.MaxDeliver,
		FilterSubject: EventSubjects,
		Replicas:      c.opts.Replicas,
	}
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = -1
	}
	cons, err := c.JS.CreateOrUpdateConsumer(ctx, c.opts.Stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("ensuring consumer %s on %s: %w", o.Durable, c.opts.Stream, err)
	}
	return cons, nil
}

// TaskConsumer creates or updates the durable pull consumer through which
// collector processes share crawl tasks. ackWait bounds how long a task may
// go without a heartbeat (Msg.InProgress) before it is given to another
// collector.
func (c *Conn) TaskConsumer(ctx context.Context, durable string, ackWait time.Duration) (jetstream.Consumer, error) {
	cons, err := c.JS.CreateOrUpdateConsumer(ctx, TaskStream, jetstream.ConsumerConfig{
		Durable:       durable,
		Description:   "counternet collectors: crawl tasks",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    5,
		MaxAckPending: 1000,
		FilterSubject: TaskSubjects,
		Replicas:      c.opts.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("ensuring task consumer %s: %w", durable, err)
	}
	return cons, nil
}

// Close drains and closes the connection.
func (c *Conn) Close() {
	if c == nil || c.NC == nil {
		return
	}
	if err := c.NC.Drain(); err != nil {
		c.NC.Close()
	}
}

// redactURL hides passwords and tokens in NATS URLs before they are logged.
func redactURL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.User == nil {
			continue
		}
		u.User = url.User("redacted")
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}
