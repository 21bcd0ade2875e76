// Package socksd is a minimal SOCKS5 server (RFC 1928 CONNECT, RFC 1929
// username/password) that stands in for Tor in the demo and in tests. It
// only connects to addresses its resolve function maps, so fixture sites can
// be given .onion names, and it records what the collector sent (usernames
// for stream isolation, outbound connections so a fixture site can refuse
// requests that did not come through the proxy).
package socksd

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Limits of the server.
const (
	// HandshakeTimeout bounds the SOCKS exchange and the dial to the target.
	HandshakeTimeout = 10 * time.Second
	// MaxConns is the number of client connections served at once; more are
	// closed on accept.
	MaxConns = 256
)

// SOCKS5 wire constants (RFC 1928, RFC 1929).
const (
	socksVersion = 0x05
	authVersion  = 0x01

	methodNoAuth   = 0x00
	methodUserPass = 0x02
	methodNone     = 0xff

	cmdConnect = 0x01

	atypIPv4   = 0x01
	atypDomain = 0x03
	atypIPv6   = 0x04

	replySucceeded       = 0x00
	replyGeneralFailure  = 0x01
	replyHostUnreachable = 0x04
	replyConnRefused     = 0x05
	replyCmdUnsupported  = 0x07
	replyAtypUnsupported = 0x08
)

// Server is a SOCKS5 server on a loopback port. Create it with New, then
// Start it; Close stops it.
type Server struct {
	log     zerolog.Logger
	resolve func(host string) (string, bool)

	mu        sync.Mutex
	ln        net.Listener
	conns     map[net.Conn]struct{} // live client and outbound conns
	outbound  map[string]uint64     // LocalAddr of outbound conns -> generation
	usernames map[string]struct{}
	gen       uint64
	closed    bool

	stop      context.CancelFunc // ends dials to targets on Close
	stopCtx   context.Context
	active    atomic.Int64
	connects  atomic.Int64
	latency   atomic.Int64 // time.Duration added to each client chunk
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New returns a server that connects a CONNECT request for host (a domain
// name or an IP literal, without port) to resolve(host), which returns a
// "127.0.0.1:port" address, or false for a host that does not exist (the
// client gets reply 4, host unreachable). The requested port is not used:
// the resolved address names the port. Nothing resolve did not map is ever
// dialed.
func New(log zerolog.Logger, resolve func(host string) (addr string, ok bool)) *Server {
	return &Server{
		log:       log,
		resolve:   resolve,
		conns:     make(map[net.Conn]struct{}),
		outbound:  make(map[string]uint64),
		usernames: make(map[string]struct{}),
	}
}

// Start listens on 127.0.0.1 on a free port and serves until ctx ends or
// Close is called. It returns once the listener is open.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("starting socks server: server closed")
	}
	if s.ln != nil {
		return errors.New("starting socks server: already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting socks server: %w", err)
	}
	s.ln = ln
	s.stopCtx, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	stopped := s.stopCtx
	s.wg.Add(1)
	go s.accept(ln)
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-stopped.Done(): // closed already
		}
	}()
	s.log.Info().Str("addr", ln.Addr().String()).Msg("socks server listening")
	return nil
}

// Addr returns the server's host:port, or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops listening, closes every live connection and waits for the
// server's goroutines. It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		if s.stop != nil {
			s.stop()
		}
		if s.ln != nil {
			if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				s.closeErr = fmt.Errorf("closing socks listener: %w", err)
			}
		}
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s.closeErr
}

// outboundLinger is how long the address of a closed outbound connection
// still counts as the proxy's.
const outboundLinger = time.Second

// IsOutbound reports whether remoteAddr (as a web server sees it in
// http.Request.RemoteAddr) is the local address of one of the server's
// connections to a target, live or closed within the last second (a
// request relayed just before the close may be read after it), that is,
// whether the request came through this proxy.
func (s *Server) IsOutbound(remoteAddr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.outbound[remoteAddr]
	return ok
}

// Usernames returns the distinct RFC 1929 usernames clients have presented,
// sorted.
func (s *Server) Usernames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.usernames))
	for u := range s.usernames {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// Connections returns the number of CONNECT requests the server has relayed
// to a target since it started.
func (s *Server) Connections() int64 { return s.connects.Load() }

// SetLatency makes the server hold every chunk a client sends to a target
// for d before passing it on, as the round trips through a Tor circuit do:
// an HTTP request is one chunk, so each request takes d longer. Zero turns
// the delay off. It may be called while the server runs.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(max(d, 0))) }

func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error().Err(err).Msg("socks accept failed")
			}
			return
		}
		if s.active.Add(1) > MaxConns {
			s.active.Add(-1)
			s.log.Warn().Int("max", MaxConns).Msg("socks connection limit reached, closing new connection")
			c.Close()
			continue
		}
		if !s.track(c) {
			s.active.Add(-1)
			c.Close()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.active.Add(-1)
			defer s.untrack(c)
			s.serve(c)
		}()
	}
}

// track registers a live conn; it returns false once the server is closed.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// request is a parsed CONNECT request.
type request struct {
	user string
	host string // domain name or IP literal
	port int
	atyp byte
}

func (s *Server) serve(c net.Conn) {
	c.SetDeadline(time.Now().Add(HandshakeTimeout))
	req, reply, err := s.handshake(c)
	if err != nil {
		if reply != 0 {
			writeReply(c, reply, nil)
		}
		s.log.Debug().Err(err).Str("client", c.RemoteAddr().String()).Msg("socks handshake failed")
		return
	}
	target, ok := s.resolve(req.host)
	if !ok {
		writeReply(c, replyHostUnreachable, nil)
		s.log.Debug().Str("host", req.host).Str("user", req.user).Msg("socks target unknown")
		return
	}
	d := net.Dialer{Timeout: HandshakeTimeout}
	out, err := d.DialContext(s.stopCtx, "tcp", target)
	if err != nil {
		writeReply(c, replyConnRefused, nil)
		s.log.Debug().Err(err).Str("host", req.host).Msg("socks target dial failed")
		return
	}
	local := out.LocalAddr().String()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		out.Close()
		return
	}
	s.conns[out] = struct{}{}
	s.gen++
	gen := s.gen
	s.outbound[local] = gen
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, out)
		s.mu.Unlock()
		out.Close()
		// A request relayed just before the close may still sit in the
		// target's socket buffer: its address stays known for a while.
		time.AfterFunc(outboundLinger, func() {
			s.mu.Lock()
			if s.outbound[local] == gen {
				delete(s.outbound, local)
			}
			s.mu.Unlock()
		})
	}()

	if err := writeReply(c, replySucceeded, out.LocalAddr()); err != nil {
		return
	}
	s.connects.Add(1)
	c.SetDeadline(time.Time{})
	s.log.Debug().Str("host", req.host).Int("port", req.port).Str("user", req.user).
		Str("target", target).Msg("socks connect")
	s.relay(c, out)
}

// relay copies both ways until either side closes, then closes both. What
// the client sends is held for the configured latency first.
func (s *Server) relay(client, target net.Conn) {
	done := make(chan struct{}, 2)
	go func() {
		io.Copy(client, target)
		done <- struct{}{}
	}()
	go func() {
		s.copyDelayed(target, client)
		done <- struct{}{}
	}()
	<-done
	client.Close()
	target.Close()
	<-done
}

// copyDelayed copies src to dst, holding each chunk for the latency.
func (s *Server) copyDelayed(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if d := time.Duration(s.latency.Load()); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-s.stopCtx.Done():
					t.Stop()
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// handshake reads method selection, optional RFC 1929 authentication and the
// request. On error, reply is the SOCKS reply code to send (0: send none).
func (s *Server) handshake(c net.Conn) (request, byte, error) {
	var req request
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return req, 0, fmt.Errorf("reading greeting: %w", err)
	}
	if hdr[0] != socksVersion {
		return req, 0, fmt.Errorf("reading greeting: version %d, want 5", hdr[0])
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return req, 0, fmt.Errorf("reading methods: %w", err)
	}
	method := byte(methodNone)
	for _, m := range methods {
		if m == methodUserPass {
			method = methodUserPass
			break
		}
		if m == methodNoAuth {
			method = methodNoAuth
		}
	}
	if _, err := c.Write([]byte{socksVersion, method}); err != nil {
		return req, 0, fmt.Errorf("writing method: %w", err)
	}
	if method == methodNone {
		return req, 0, errors.New("no acceptable authentication method")
	}
	if method == methodUserPass {
		user, err := readUserPass(c)
		if err != nil {
			return req, 0, err
		}
		req.user = user
		s.mu.Lock()
		s.usernames[user] = struct{}{}
		s.mu.Unlock()
	}

	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return req, 0, fmt.Errorf("reading request: %w", err)
	}
	if head[0] != socksVersion {
		return req, replyGeneralFailure, fmt.Errorf("reading request: version %d, want 5", head[0])
	}
	if head[1] != cmdConnect {
		return req, replyCmdUnsupported, fmt.Errorf("reading request: command %d not supported", head[1])
	}
	req.atyp = head[3]
	switch req.atyp {
	case atypIPv4, atypIPv6:
		ip := make(net.IP, net.IPv4len)
		if req.atyp == atypIPv6 {
			ip = make(net.IP, net.IPv6len)
		}
		if _, err := io.ReadFull(c, ip); err != nil {
			return req, 0, fmt.Errorf("reading address: %w", err)
		}
		req.host = ip.String()
	case atypDomain:
		var n [1]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return req, 0, fmt.Errorf("reading domain length: %w", err)
		}
		name := make([]byte, n[0])
		if _, err := io.ReadFull(c, name); err != nil {
			return req, 0, fmt.Errorf("reading domain: %w", err)
		}
		req.host = string(name)
	default:
		return req, replyAtypUnsupported, fmt.Errorf("reading request: address type %d not supported", req.atyp)
	}
	var port [2]byte
	if _, err := io.ReadFull(c, port[:]); err != nil {
		return req, 0, fmt.Errorf("reading port: %w", err)
	}
	req.port = int(binary.BigEndian.Uint16(port[:]))
	return req, 0, nil
}

// readUserPass reads an RFC 1929 request, accepts any credentials and
// returns the username.
func readUserPass(c net.Conn) (string, error) {
	var v [2]byte
	if _, err := io.ReadFull(c, v[:]); err != nil {
		return "", fmt.Errorf("reading auth: %w", err)
	}
	if v[0] != authVersion {
		c.Write([]byte{authVersion, 0x01})
		return "", fmt.Errorf("reading auth: version %d, want 1", v[0])
	}
	user := make([]byte, v[1])
	if _, err := io.ReadFull(c, user); err != nil {
		return "", fmt.Errorf("reading username: %w", err)
	}
	var plen [1]byte
	if _, err := io.ReadFull(c, plen[:]); err != nil {
		return "", fmt.Errorf("reading password length: %w", err)
	}
	if _, err := io.CopyN(io.Discard, c, int64(plen[0])); err != nil {
		return "", fmt.Errorf("reading password: %w", err)
	}
	if _, err := c.Write([]byte{authVersion, 0x00}); err != nil {
		return "", fmt.Errorf("writing auth reply: %w", err)
	}
	return string(user), nil
}

// writeReply sends a reply with the bound address (0.0.0.0:0 when nil).
func writeReply(c net.Conn, code byte, bound net.Addr) error {
	ip := net.IPv4zero.To4()
	port := 0
	if ta, ok := bound.(*net.TCPAddr); ok {
		if ip4 := ta.IP.To4(); ip4 != nil {
			ip = ip4
			port = ta.Port
		}
	}
	b := []byte{socksVersion, code, 0x00, atypIPv4}
	b = append(b, ip...)
	b = binary.BigEndian.AppendUint16(b, uint16(port))
	if _, err := c.Write(b); err != nil {
		return fmt.Errorf("writing reply: %w", err)
	}
	return nil
}

// MapResolver returns a resolve function for New that maps each host in m
// (a copy is taken) to its address and refuses everything else.
func MapResolver(m map[string]string) func(host string) (string, bool) {
	cp := make(map[string]string, len(m))
	for h, a := range m {
		cp[h] = a
	}
	return func(host string) (string, bool) {
		a, ok := cp[host]
		return a, ok
	}
}
