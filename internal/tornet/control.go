package tornet

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Control-port bounds.
const (
	maxControlLine  = 64 << 10 // one reply line
	maxReplyLines   = 20000    // lines in one reply, data lines included
	controlDeadline = 15 * time.Second
	cookieSize      = 32
)

// ErrControl marks a failure talking to a tor control port, or a reply
// other than 250 OK.
var ErrControl = errors.New("tor control port")

// reply is one control-port reply: its status code and its lines, a
// multi-line ("+") entry's data joined with "\n" after its first line.
type reply struct {
	code  int
	lines []string
}

// controlConn is an authenticated control-port connection.
type controlConn struct {
	c net.Conn
	r *bufio.Reader
}

// dialControl connects to a control port on addr and authenticates with the
// cookie at cookiePath, which tor writes once the control port is open.
func dialControl(ctx context.Context, addr, cookiePath string) (*controlConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: dialing %s: %w", ErrControl, addr, err)
	}
	cc := &controlConn{c: c, r: bufio.NewReaderSize(c, 4096)}
	cookie, err := readCookie(cookiePath)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	if _, err := cc.command(ctx, "AUTHENTICATE "+hex.EncodeToString(cookie), nil); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("authenticating to %s: %w", addr, err)
	}
	return cc, nil
}

func readCookie(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: reading auth cookie: %w", ErrControl, err)
	}
	defer f.Close()
	cookie, err := io.ReadAll(io.LimitReader(f, cookieSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading auth cookie: %w", ErrControl, err)
	}
	if len(cookie) != cookieSize {
		return nil, fmt.Errorf("%w: auth cookie %s has %d bytes, want %d", ErrControl, path, len(cookie), cookieSize)
	}
	return cookie, nil
}

func (cc *controlConn) Close() error { return cc.c.Close() }

// command sends line and returns its reply, which must be 250. Asynchronous
// event replies (6xx) arriving meanwhile go to onEvent when it is not nil.
func (cc *controlConn) command(ctx context.Context, line string, onEvent func(reply)) (reply, error) {
	cc.setDeadline(ctx)
	if _, err := io.WriteString(cc.c, line+"\r\n"); err != nil {
		return reply{}, fmt.Errorf("%w: sending %s: %w", ErrControl, verb(line), err)
	}
	for {
		r, err := cc.read()
		if err != nil {
			return reply{}, fmt.Errorf("%w: reading reply to %s: %w", ErrControl, verb(line), err)
		}
		if r.code >= 600 {
			if onEvent != nil {
				onEvent(r)
			}
			continue
		}
		if r.code != 250 {
			return r, fmt.Errorf("%w: %s: %d %s", ErrControl, verb(line), r.code, strings.Join(r.lines, "; "))
		}
		return r, nil
	}
}

// verb is a command's first word, what errors name (never its arguments:
// AUTHENTICATE carries the cookie).
func verb(line string) string {
	v, _, _ := strings.Cut(line, " ")
	return v
}

func (cc *controlConn) setDeadline(ctx context.Context) {
	dl := time.Now().Add(controlDeadline)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	_ = cc.c.SetDeadline(dl)
}

// read reads one reply: lines "NNN-text" and "NNN+text" (followed by data
// ending with "."), up to the final "NNN text".
func (cc *controlConn) read() (reply, error) {
	var r reply
	for n := 0; n < maxReplyLines; n++ {
		line, err := cc.line()
		if err != nil {
			return r, err
		}
		if len(line) < 4 {
			return r, fmt.Errorf("malformed reply line %q", line)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			return r, fmt.Errorf("malformed reply line %q", line)
		}
		r.code = code
		text := line[4:]
		switch line[3] {
		case ' ':
			r.lines = append(r.lines, text)
			return r, nil
		case '-':
			r.lines = append(r.lines, text)
		case '+':
			data := []string{text}
			for ; ; n++ {
				if n >= maxReplyLines {
					return r, fmt.Errorf("reply longer than %d lines", maxReplyLines)
				}
				d, err := cc.line()
				if err != nil {
					return r, err
				}
				if d == "." {
					break
				}
				data = append(data, strings.TrimPrefix(d, "."))
			}
			r.lines = append(r.lines, strings.Join(data, "\n"))
		default:
			return r, fmt.Errorf("malformed reply line %q", line)
		}
	}
	return r, fmt.Errorf("reply longer than %d lines", maxReplyLines)
}

// line reads one CRLF-terminated line of at most maxControlLine bytes.
func (cc *controlConn) line() (string, error) {
	var b []byte
	for {
		chunk, err := cc.r.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > maxControlLine {
			return "", fmt.Errorf("reply line longer than %d bytes", maxControlLine)
		}
		if err == nil {
			return strings.TrimRight(string(b), "\r\n"), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
}

// getinfo returns the value of one GETINFO key.
func (cc *controlConn) getinfo(ctx context.Context, key string) (string, error) {
	r, err := cc.command(ctx, "GETINFO "+key, nil)
	if err != nil {
		return "", err
	}
	for _, l := range r.lines {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			return strings.TrimPrefix(v, "\n"), nil
		}
	}
	return "", fmt.Errorf("%w: GETINFO %s: key missing from reply", ErrControl, key)
}

// Circuit is one circuit of the client tor, as GETINFO circuit-status
// reports it.
type Circuit struct {
	ID      string
	Status  string   // LAUNCHED, BUILT, EXTENDED, FAILED, CLOSED, GUARD_WAIT
	Path    []string // "$FINGERPRINT~nickname" per hop
	Purpose string   // GENERAL, HS_CLIENT_REND, HS_CLIENT_INTRO, ...
	HSState string
	// RendQuery is the onion address (without .onion) of an onion-service
	// circuit.
	RendQuery string
	// Username and Password are the SOCKS credentials of the streams the
	// circuit was built for: tor's isolation key with IsolateSOCKSAuth.
	Username string
	Password string
}

// Stream is one stream of the client tor, as GETINFO stream-status reports
// it.
type Stream struct {
	ID      string
	Status  string // NEW, SENTCONNECT, SUCCEEDED, ...
	Circuit string // 0 while unattached
	Target  string // host:port
}

// Circuits returns the client tor's circuits, read from its control port.
func (n *Network) Circuits(ctx context.Context) ([]Circuit, error) {
	v, err := n.clientInfo(ctx, "circuit-status")
	if err != nil {
		return nil, err
	}
	return parseCircuitStatus(v)
}

// Streams returns the client tor's streams, read from its control port.
func (n *Network) Streams(ctx context.Context) ([]Stream, error) {
	v, err := n.clientInfo(ctx, "stream-status")
	if err != nil {
		return nil, err
	}
	return parseStreamStatus(v)
}

func (n *Network) clientInfo(ctx context.Context, key string) (string, error) {
	cc, err := dialControl(ctx, n.controlAddr, n.controlCookie)
	if err != nil {
		return "", err
	}
	defer cc.Close()
	return cc.getinfo(ctx, key)
}

// parseCircuitStatus parses GETINFO circuit-status: one circuit per line,
// "ID STATUS [PATH] [KEY=VALUE ...]", values possibly quoted.
func parseCircuitStatus(v string) ([]Circuit, error) {
	var cs []Circuit
	for _, line := range strings.Split(v, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		words, err := splitQuoted(line)
		if err != nil {
			return nil, fmt.Errorf("%w: circuit-status line %q: %w", ErrControl, line, err)
		}
		if len(words) < 2 {
			return nil, fmt.Errorf("%w: circuit-status line %q: too short", ErrControl, line)
		}
		c := Circuit{ID: words[0], Status: words[1]}
		rest := words[2:]
		if len(rest) > 0 && !strings.Contains(rest[0], "=") {
			c.Path = strings.Split(rest[0], ",")
			rest = rest[1:]
		}
		for _, kv := range rest {
			k, val, _ := strings.Cut(kv, "=")
			switch k {
			case "PURPOSE":
				c.Purpose = val
			case "HS_STATE":
				c.HSState = val
			case "REND_QUERY":
				c.RendQuery = val
			case "SOCKS_USERNAME":
				c.Username = val
			case "SOCKS_PASSWORD":
				c.Password = val
			}
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// parseStreamStatus parses GETINFO stream-status: one stream per line,
// "ID STATUS CIRCUIT TARGET".
func parseStreamStatus(v string) ([]Stream, error) {
	var ss []Stream
	for _, line := range strings.Split(v, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			return nil, fmt.Errorf("%w: stream-status line %q: too short", ErrControl, line)
		}
		ss = append(ss, Stream{ID: f[0], Status: f[1], Circuit: f[2], Target: f[3]})
	}
	return ss, nil
}

// splitQuoted splits a control-port line into space-separated words, where
// KEY="quoted value" keeps its spaces and has its C-style escapes undone.
func splitQuoted(line string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		inQ   bool
		has   bool
	)
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case inQ && ch == '\\':
			if i+1 >= len(line) {
				return nil, errors.New("escape at end of line")
			}
			i++
			switch e := line[i]; e {
			case 'n':
				cur.WriteByte('\n')
			case 't':
				cur.WriteByte('\t')
			case 'r':
				cur.WriteByte('\r')
			default:
				cur.WriteByte(e)
			}
		case ch == '"':
			inQ = !inQ
			has = true
		case ch == ' ' && !inQ:
			if has || cur.Len() > 0 {
				words = append(words, cur.String())
			}
			cur.Reset()
			has = false
		default:
			cur.WriteByte(ch)
		}
	}
	if inQ {
		return nil, errors.New("unterminated quote")
	}
	if has || cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words, nil
}
