// Package tor is counternet's only way onto the network: SOCKS5 dialing
// through a Tor proxy with per-source stream isolation, failing closed (no
// code path dials a target directly, and host names, .onion or not, are
// resolved by Tor, never by local DNS), and validation of v3 onion addresses.
package tor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/net/proxy"
)

// ErrProxyDown marks a failure to reach the Tor SOCKS proxy itself: nothing
// was sent to the target, and no request can succeed until the proxy is back.
var ErrProxyDown = errors.New("tor socks proxy unreachable")

// ErrTargetUnreachable marks a target the proxy was asked for but could not
// connect to (SOCKS reply "host unreachable", "connection refused", ...). The
// proxy itself is up.
var ErrTargetUnreachable = errors.New("target unreachable through tor")

// DefaultProxyTimeout bounds connecting to the SOCKS proxy when no
// WithProxyTimeout option is given.
const DefaultProxyTimeout = 30 * time.Second

// DefaultHandshakeTimeout bounds a whole dial (proxy connection plus the SOCKS
// exchange, during which tor builds a circuit and reaches the target) when no
// WithHandshakeTimeout option is given. Onion services can take a while.
const DefaultHandshakeTimeout = 2 * time.Minute

// maxSourceLen bounds the source part of a SOCKS username (RFC 1929 allows
// 255 bytes in all).
const maxSourceLen = 200

// Dialer opens TCP streams through a Tor SOCKS5 proxy. It never dials a
// target itself: the only address it ever connects to is the proxy's, and
// target host names go to the proxy unresolved, so .onion names (and every
// other name) are resolved by Tor, never by local DNS.
type Dialer struct {
	socksAddr string
	timeout   time.Duration
	handshake time.Duration
	// forward dials the proxy; tests replace it to observe every address the
	// dialer connects to.
	forward func(ctx context.Context, network, addr string) (net.Conn, error)
}

// DialerOption configures a Dialer.
type DialerOption func(*Dialer)

// WithProxyTimeout bounds connecting to the SOCKS proxy (default 30s). The
// SOCKS handshake is bounded by the caller's context.
func WithProxyTimeout(d time.Duration) DialerOption {
	return func(t *Dialer) {
		if d > 0 {
			t.timeout = d
		}
	}
}

// WithHandshakeTimeout bounds a whole dial, proxy connection and SOCKS
// exchange together (default 2m). A shorter deadline on the caller's context
// wins.
func WithHandshakeTimeout(d time.Duration) DialerOption {
	return func(t *Dialer) {
		if d > 0 {
			t.handshake = d
		}
	}
}

// NewDialer returns a Dialer that sends every connection through the SOCKS5
// proxy at socksAddr (host:port, for example "127.0.0.1:9050").
func NewDialer(socksAddr string, opts ...DialerOption) *Dialer {
	d := &Dialer{socksAddr: socksAddr, timeout: DefaultProxyTimeout, handshake: DefaultHandshakeTimeout}
	for _, o := range opts {
		o(d)
	}
	nd := &net.Dialer{Timeout: d.timeout}
	d.forward = nd.DialContext
	return d
}

// ProxyAddr returns the address of the SOCKS proxy this Dialer uses.
func (d *Dialer) ProxyAddr() string { return d.socksAddr }

// ForIdentity returns a dialer whose connections carry SOCKS5 credentials
// derived from (source, session). With tor's IsolateSOCKSAuth (on by default
// for a SocksPort) every distinct pair gets its own circuits, so one source's
// traffic is never linkable to another's, and a new session starts on fresh
// circuits. The username is "cn-<source>"; the password is a short hash of
// session, never the session value itself.
func (d *Dialer) ForIdentity(source, session string) *IdentityDialer {
	user := "cn-" + source
	if len(user) > maxSourceLen {
		user = user[:maxSourceLen]
	}
	sum := sha256.Sum256([]byte(session))
	auth := &proxy.Auth{User: user, Password: hex.EncodeToString(sum[:8])}
	i := &IdentityDialer{parent: d, auth: auth}
	pd, err := proxy.SOCKS5("tcp", d.socksAddr, auth, forwardDialer{d: d})
	if err != nil {
		i.err = err
		return i
	}
	cd, ok := pd.(proxy.ContextDialer)
	if !ok {
		i.err = errors.New("socks dialer does not support contexts")
		return i
	}
	i.socks = cd
	return i
}

// IdentityDialer dials through the Tor proxy with one isolation identity.
// It is safe for concurrent use.
type IdentityDialer struct {
	parent *Dialer
	auth   *proxy.Auth
	socks  proxy.ContextDialer
	err    error // from building socks; returned by every dial
}

// Username returns the SOCKS5 username this identity presents to the proxy.
func (i *IdentityDialer) Username() string { return i.auth.User }

// forwardDialer is the only thing that opens sockets for a Dialer. It refuses
// to connect anywhere but the proxy, and marks its failures so they can be
// told apart from the proxy refusing a target.
type forwardDialer struct {
	d *Dialer
}

// proxyDialError is a failure to connect to the proxy itself.
type proxyDialError struct{ err error }

func (e *proxyDialError) Error() string { return e.err.Error() }
func (e *proxyDialError) Unwrap() error { return e.err }

func (f forwardDialer) Dial(network, addr string) (net.Conn, error) {
	return f.DialContext(context.Background(), network, addr)
}

func (f forwardDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr != f.d.socksAddr {
		// Unreachable with x/net's SOCKS client, which only dials the proxy;
		// kept so that no future change can turn this into a direct dial.
		return nil, &proxyDialError{err: fmt.Errorf("refusing to dial %s: only the proxy may be dialed", addr)}
	}
	c, err := f.d.forward(ctx, network, addr)
	if err != nil {
		return nil, &proxyDialError{err: err}
	}
	return c, nil
}

// DialContext connects to addr (host:port) through the Tor proxy. network
// must be "tcp" (or "tcp4"/"tcp6", which are treated as "tcp": the proxy
// resolves). Errors wrap ErrProxyDown when the proxy could not be reached,
// ErrTargetUnreachable when the proxy refused or failed to reach the target,
// and ctx.Err() when ctx ended first.
func (i *IdentityDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("dialing %s through tor: network %q not supported", addr, network)
	}
	d := i.parent
	if i.err != nil {
		return nil, fmt.Errorf("dialing tor socks proxy %s: %w", d.socksAddr, i.err)
	}
	// The deadline only bounds the dial: x/net's client stops watching ctx
	// once the SOCKS exchange is done, so the returned conn outlives it.
	dctx, cancel := context.WithTimeout(ctx, d.handshake)
	defer cancel()
	c, err := i.socks.DialContext(dctx, "tcp", addr)
	if err == nil {
		return c, nil
	}
	var pde *proxyDialError
	switch {
	case errors.As(err, &pde):
		if ctxErr := expired(dctx); ctxErr != nil {
			return nil, fmt.Errorf("dialing tor socks proxy %s: %w", d.socksAddr, ctxErr)
		}
		return nil, fmt.Errorf("dialing tor socks proxy %s: %w: %w", d.socksAddr, ErrProxyDown, pde.err)
	case expired(dctx) != nil:
		return nil, fmt.Errorf("dialing %s through tor socks proxy %s: %w", addr, d.socksAddr, expired(dctx))
	case isSOCKSReply(err):
		return nil, fmt.Errorf("dialing %s through tor socks proxy %s: %w: %w", addr, d.socksAddr, ErrTargetUnreachable, err)
	default:
		return nil, fmt.Errorf("dialing %s through tor socks proxy %s: socks handshake: %w", addr, d.socksAddr, err)
	}
}

// expired returns ctx's error, or context.DeadlineExceeded once its deadline
// has passed: x/net's client puts the deadline on the connection, whose read
// can fail a moment before ctx itself is done.
func expired(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// isSOCKSReply reports whether err is x/net's report of a non-success SOCKS
// reply code (the proxy answered, but could not connect to the target). The
// x/net client does not export a typed error for this; its message is
// "unknown error <reply text>".
func isSOCKSReply(err error) bool {
	msg := err.Error()
	for _, r := range []string{
		"general SOCKS server failure",
		"connection not allowed by ruleset",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"TTL expired",
	} {
		if strings.Contains(msg, "unknown error "+r) {
			return true
		}
	}
	return false
}
