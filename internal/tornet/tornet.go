// Package tornet runs a private Tor network on loopback for tests and
// benchmarks: three directory authorities, a few relays, one tor publishing
// v3 onion services for local targets, and one client tor with a SocksPort
// and a ControlPort. It uses Debian's tor and tor-gencert binaries, binds
// only 127.0.0.1, and keeps every file in one directory.
//
// Start returns once the consensus lists every relay, every onion service's
// descriptor has been uploaded to the network's HSDirs and the client has
// bootstrapped; the first connection to an onion service then builds its
// rendezvous circuit (WaitReachable). The control port reports which circuit
// carries which stream and under which SOCKS credentials (Circuits,
// Streams), so a test can check tor's stream isolation.
package tornet

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/tor"
)

// ErrNotInstalled marks a machine without the tor or tor-gencert binary.
var ErrNotInstalled = errors.New("tor is not installed")

// ErrStart marks a network that did not come up; the error names the stage
// and ends with the last lines of the logs of the tor processes involved.
var ErrStart = errors.New("starting private tor network")

// Defaults for Options.
const (
	DefaultRelays       = 2
	DefaultStartTimeout = 90 * time.Second
	DefaultVirtPort     = 80
)

const (
	authorities = 3
	// stopGrace is how long Close waits after SIGTERM before SIGKILL.
	stopGrace = 4 * time.Second
	// pollEvery paces the waits of Start and WaitReachable.
	pollEvery = 250 * time.Millisecond
	// reachAttempt bounds one connection attempt of WaitReachable.
	reachAttempt = 30 * time.Second
)

// Service is one onion service to publish.
type Service struct {
	// Name identifies the service to OnionHost and WaitReachable.
	Name string
	// Target is the local address the onion service forwards to,
	// "127.0.0.1:port".
	Target string
	// VirtPort is the port the onion service listens on (default 80).
	VirtPort int
	// Key, when set, is the service's ed25519 identity key, so the onion
	// host is known in advance (tor.OnionV3 of its public key). When nil,
	// tor generates a key and OnionHost reads the host tor wrote.
	Key ed25519.PrivateKey
}

// Options configure a network.
type Options struct {
	// Relays is the number of relays besides the authorities (default 2,
	// at least 2).
	Relays int
	// Services are the onion services to publish (at least one).
	Services []Service
	// StartTimeout bounds Start as a whole (default 90s).
	StartTimeout time.Duration
}

// Process is one running tor of the network.
type Process struct {
	Name string // auth0, relay1, service, client, ...
	Role string // authority, relay, service, client
	PID  int
}

// Network is a running private Tor network. Its methods are safe for
// concurrent use.
type Network struct {
	dir  string
	log  zerolog.Logger
	opts Options

	auths  []*authority
	nodes  []*node
	svcTor *node
	client *node

	socksAddr     string
	controlAddr   string
	controlCookie string
	hosts         map[string]string // service name → onion host

	closeOnce sync.Once
}

// Available returns nil when the tor and tor-gencert binaries are on PATH,
// and otherwise an error (ErrNotInstalled) saying how to install them.
func Available() error {
	var missing []string
	for _, bin := range []string{"tor", "tor-gencert"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s not on PATH; install it with: apt-get install tor (or deploy/deps.sh --with-tor)",
			ErrNotInstalled, strings.Join(missing, " and "))
	}
	return nil
}

// Start builds and starts a private Tor network under dir (which must exist
// and should be empty): authorities and relays first, then, once an
// authority's consensus lists every relay, the onion-service tor and the
// client. It returns when every service's descriptor is uploaded and the
// client has bootstrapped, or an error (wrapping ErrStart or ErrNotInstalled)
// after stopping whatever it started. The whole start is bounded by
// opts.StartTimeout and ctx. The processes run until Close, and are killed
// if the calling process dies.
func Start(ctx context.Context, dir string, opts Options, log zerolog.Logger) (_ *Network, err error) {
	if err := Available(); err != nil {
		return nil, err
	}
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving tor network directory: %w", err)
	}
	if strings.ContainsAny(dir, " \t\r\n\"\\#") {
		return nil, fmt.Errorf("%w: directory %q has spaces, quotes or '#' in its path, which torrc lines cannot carry", ErrStart, dir)
	}
	n := &Network{
		dir:   dir,
		log:   log.With().Str("component", "tornet").Logger(),
		opts:  opts,
		hosts: map[string]string{},
	}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	began := time.Now()

	if err := os.WriteFile(n.defaultsPath(), nil, 0o600); err != nil {
		return nil, fmt.Errorf("writing empty defaults torrc: %w", err)
	}
	ports, err := freePorts(ctx, 2*authorities+opts.Relays+3)
	if err != nil {
		return nil, err
	}
	take := func() int { p := ports[0]; ports = ports[1:]; return p }

	if err := n.makeAuthorities(ctx, take); err != nil {
		return nil, err
	}
	for _, a := range n.auths {
		if err := n.startNode(a.node); err != nil {
			return nil, err
		}
	}
	for i := range opts.Relays {
		r := n.newNode(fmt.Sprintf("relay%d", i), "relay")
		r.orPort = take()
		r.torrc = n.relayTorrc(r)
		if err := n.startNode(r); err != nil {
			return nil, err
		}
	}
	want := authorities + opts.Relays
	if err := n.waitConsensus(ctx, want); err != nil {
		return nil, n.startErr("waiting for a consensus listing every relay", err, n.nodes...)
	}
	n.log.Info().Int("relays", want).Dur("after", time.Since(began)).Msg("consensus lists every relay")

	// The onion-service tor starts with its network disabled so that its
	// descriptor-upload events cannot be missed: Start subscribes first,
	// then enables the network.
	svc := n.newNode("service", "service")
	svc.controlPort = take()
	if err := n.prepareServices(svc); err != nil {
		return nil, err
	}
	svc.torrc = n.serviceTorrc(svc)
	cl := n.newNode("client", "client")
	cl.socksPort, cl.controlPort = take(), take()
	cl.torrc = n.clientTorrc(cl)
	n.svcTor, n.client = svc, cl
	n.socksAddr = hostPort(cl.socksPort)
	n.controlAddr = hostPort(cl.controlPort)
	n.controlCookie = filepath.Join(cl.dir, "control_auth_cookie")
	for _, nd := range []*node{svc, cl} {
		if err := n.startNode(nd); err != nil {
			return nil, err
		}
	}
	if err := n.publishServices(ctx, svc); err != nil {
		return nil, n.startErr("publishing the onion services", err, svc)
	}
	n.log.Info().Dur("after", time.Since(began)).Msg("onion service descriptors uploaded")
	if err := n.waitBootstrapped(ctx, cl); err != nil {
		return nil, n.startErr("bootstrapping the client", err, cl)
	}
	n.log.Info().Str("socks", n.socksAddr).Dur("took", time.Since(began)).Msg("private tor network up")
	return n, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Relays == 0 {
		o.Relays = DefaultRelays
	}
	if o.Relays < 2 {
		return o, fmt.Errorf("%w: %d relays, need at least 2", ErrStart, o.Relays)
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if len(o.Services) == 0 {
		return o, fmt.Errorf("%w: no onion service to publish", ErrStart)
	}
	seen := map[string]bool{}
	svcs := make([]Service, len(o.Services))
	for i, s := range o.Services {
		if s.Name == "" || seen[s.Name] || strings.ContainsAny(s.Name, "/\\ \t\r\n\"") {
			return o, fmt.Errorf("%w: service name %q is empty, repeated or not a plain word", ErrStart, s.Name)
		}
		seen[s.Name] = true
		host, _, err := net.SplitHostPort(s.Target)
		if err != nil || host != "127.0.0.1" {
			return o, fmt.Errorf("%w: service %s target %q is not 127.0.0.1:port", ErrStart, s.Name, s.Target)
		}
		if s.VirtPort == 0 {
			s.VirtPort = DefaultVirtPort
		}
		if s.VirtPort < 1 || s.VirtPort > 65535 {
			return o, fmt.Errorf("%w: service %s virtual port %d out of range", ErrStart, s.Name, s.VirtPort)
		}
		if s.Key != nil && len(s.Key) != ed25519.PrivateKeySize {
			return o, fmt.Errorf("%w: service %s key has %d bytes, want %d", ErrStart, s.Name, len(s.Key), ed25519.PrivateKeySize)
		}
		svcs[i] = s
	}
	o.Services = svcs
	return o, nil
}

// SocksAddr is the client tor's SOCKS5 port, "127.0.0.1:port". It isolates
// streams by SOCKS credentials (tor's default IsolateSOCKSAuth).
func (n *Network) SocksAddr() string { return n.socksAddr }

// ControlAddr is the client tor's control port, "127.0.0.1:port"
// (cookie authentication; see Circuits and Streams).
func (n *Network) ControlAddr() string { return n.controlAddr }

// Dir is the directory holding every tor's data directory and logs.
func (n *Network) Dir() string { return n.dir }

// OnionHost returns the onion host ("<56 chars>.onion") of the service
// named name, as tor wrote it in the service's hostname file, or "" for an
// unknown name.
func (n *Network) OnionHost(name string) string { return n.hosts[name] }

// Processes lists the network's tor processes.
func (n *Network) Processes() []Process {
	var ps []Process
	for _, nd := range n.nodes {
		if nd.cmd != nil && nd.cmd.Process != nil {
			ps = append(ps, Process{Name: nd.name, Role: nd.role, PID: nd.cmd.Process.Pid})
		}
	}
	return ps
}

// WaitReachable returns once a connection through the client's SocksPort to
// the named service's onion host and virtual port succeeds, that is once tor
// has fetched the descriptor, built a rendezvous circuit and the service's
// tor has connected to the target. Attempts are paced and each is bounded;
// ctx bounds the whole wait.
func (n *Network) WaitReachable(ctx context.Context, name string) error {
	host := n.hosts[name]
	if host == "" {
		return fmt.Errorf("waiting for onion service %q: no such service", name)
	}
	port := 0
	for _, s := range n.opts.Services {
		if s.Name == name {
			port = s.VirtPort
		}
	}
	addr := net.JoinHostPort(host, fmt.Sprint(port))
	d := tor.NewDialer(n.socksAddr, tor.WithHandshakeTimeout(reachAttempt)).ForIdentity("tornet-reachable", name)
	var last error
	for attempt := 1; ; attempt++ {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = c.Close()
			n.log.Debug().Str("service", name).Int("attempts", attempt).Msg("onion service reachable")
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for onion service %s to answer after %d attempts: %w (last: %w)", name, attempt, ctx.Err(), last)
		case <-time.After(pollEvery):
		}
	}
}

// Close stops every tor: SIGTERM, then SIGKILL for any still alive a few
// seconds later. It is idempotent.
func (n *Network) Close() {
	n.closeOnce.Do(func() {
		stopAll(n.nodes, stopGrace, n.log)
	})
}

func (n *Network) defaultsPath() string { return filepath.Join(n.dir, "torrc-defaults") }

// startErr wraps err with ErrStart, the stage, and the tail of the logs of
// the nodes involved.
func (n *Network) startErr(stage string, err error, nodes ...*node) error {
	var b strings.Builder
	for _, nd := range nodes {
		if tail := nd.logTail(8); tail != "" {
			fmt.Fprintf(&b, "\n--- %s (%s) ---\n%s", nd.name, nd.logPath(), tail)
		}
	}
	return fmt.Errorf("%w: %s: %w%s", ErrStart, stage, err, b.String())
}

// freePorts picks count distinct free TCP ports on 127.0.0.1, holding every
// listener until all are picked.
func freePorts(ctx context.Context, count int) ([]int, error) {
	var lc net.ListenConfig
	lns := make([]net.Listener, 0, count)
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	ports := make([]int, 0, count)
	for range count {
		ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("picking a free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", fmt.Sprint(port)) }
