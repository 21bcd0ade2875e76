package socksd_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/socksd"
	"github.com/counternet/counternet/internal/tor"
)

// echoServer accepts connections and echoes what it reads, reporting the
// remote address of each connection it accepted.
func echoServer(t *testing.T) (addr string, remotes chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	remotes = make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			remotes <- c.RemoteAddr().String()
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String(), remotes
}

func startServer(t *testing.T, resolve func(string) (string, bool)) *socksd.Server {
	t.Helper()
	s := socksd.New(zerolog.Nop(), resolve)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// connect performs a raw SOCKS5 exchange and returns the reply code and the
// connection (open on success).
func connect(t *testing.T, proxyAddr string, methods []byte, user string, atyp byte, addr []byte, port uint16) (byte, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", proxyAddr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	c.Write(append([]byte{5, byte(len(methods))}, methods...))
	sel := make([]byte, 2)
	if _, err := io.ReadFull(r, sel); err != nil {
		t.Fatalf("reading method selection: %v", err)
	}
	switch sel[1] {
	case 0x02:
		msg := append([]byte{1, byte(len(user))}, user...)
		msg = append(msg, 4, 'p', 'a', 's', 's')
		c.Write(msg)
		ar := make([]byte, 2)
		if _, err := io.ReadFull(r, ar); err != nil || ar[1] != 0 {
			t.Fatalf("auth reply %v, %v", ar, err)
		}
	case 0xff:
		c.Close()
		return 0xff, nil
	}
	req := []byte{5, 1, 0, atyp}
	if atyp == 3 {
		req = append(req, byte(len(addr)))
	}
	req = append(req, addr...)
	req = binary.BigEndian.AppendUint16(req, port)
	c.Write(req)
	rep := make([]byte, 10)
	if _, err := io.ReadFull(r, rep); err != nil {
		t.Fatalf("reading reply: %v", err)
	}
	if rep[1] != 0 {
		c.Close()
		return rep[1], nil
	}
	c.SetDeadline(time.Time{})
	return 0, c
}

func TestConnectAddressTypes(t *testing.T) {
	echo, remotes := echoServer(t)
	s := startServer(t, socksd.MapResolver(map[string]string{
		"market.onion": echo,
		"127.0.0.7":    echo,
		"::1":          echo,
	}))
	tests := []struct {
		name      string
		methods   []byte
		user      string
		atyp      byte
		addr      []byte
		wantReply byte
	}{
		{"domain with auth", []byte{0, 2}, "cn-a", 3, []byte("market.onion"), 0},
		{"domain no auth", []byte{0}, "", 3, []byte("market.onion"), 0},
		{"mapped ipv4", []byte{2}, "cn-b", 1, net.ParseIP("127.0.0.7").To4(), 0},
		{"mapped ipv6", []byte{2}, "cn-b", 4, net.ParseIP("::1").To16(), 0},
		{"unknown domain", []byte{2}, "cn-a", 3, []byte("other.onion"), 4},
		{"unmapped ip literal", []byte{2}, "cn-a", 1, net.ParseIP("127.0.0.1").To4(), 4},
		{"unsupported atyp", []byte{2}, "cn-a", 9, nil, 8},
		{"no acceptable method", []byte{1}, "", 3, []byte("market.onion"), 0xff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, c := connect(t, s.Addr(), tt.methods, tt.user, tt.atyp, tt.addr, 80)
			if rep != tt.wantReply {
				t.Fatalf("reply = %d, want %d", rep, tt.wantReply)
			}
			if c == nil {
				return
			}
			defer c.Close()
			remote := <-remotes
			if !s.IsOutbound(remote) {
				t.Errorf("IsOutbound(%s) = false for a live relayed connection", remote)
			}
			c.Write([]byte("ping"))
			buf := make([]byte, 4)
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
				t.Errorf("echo = %q, %v", buf, err)
			}
			c.Close()
			// The address lingers a second after the close (see IsOutbound).
			deadline := time.Now().Add(4 * time.Second)
			for s.IsOutbound(remote) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if s.IsOutbound(remote) {
				t.Errorf("IsOutbound(%s) still true 4s after the client closed", remote)
			}
		})
	}
	if got := strings.Join(s.Usernames(), ","); got != "cn-a,cn-b" {
		t.Errorf("usernames = %s", got)
	}
	if got := s.Connections(); got != 4 {
		t.Errorf("connections = %d, want 4", got)
	}
}

func TestUnsupportedCommand(t *testing.T) {
	s := startServer(t, socksd.MapResolver(nil))
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte{5, 1, 0})
	io.ReadFull(c, make([]byte, 2))
	c.Write([]byte{5, 2, 0, 3, 1, 'x', 0, 80}) // BIND
	rep := make([]byte, 10)
	if _, err := io.ReadFull(c, rep); err != nil {
		t.Fatal(err)
	}
	if rep[1] != 7 {
		t.Errorf("reply = %d, want 7 (command not supported)", rep[1])
	}
}

func TestIsOutboundRejectsDirect(t *testing.T) {
	var s *socksd.Server
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.IsOutbound(r.RemoteAddr) {
			http.Error(w, "not through the proxy", http.StatusForbidden)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer web.Close()
	s = startServer(t, socksd.MapResolver(map[string]string{"site.onion": strings.TrimPrefix(web.URL, "http://")}))

	direct, err := http.Get(web.URL)
	if err != nil {
		t.Fatal(err)
	}
	direct.Body.Close()
	if direct.StatusCode != http.StatusForbidden {
		t.Errorf("direct request: status %d, want 403", direct.StatusCode)
	}

	d := tor.NewDialer(s.Addr())
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: d.ForIdentity("site", "r").DialContext}}
	resp, err := client.Get("http://site.onion/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("proxied request: status %d body %q", resp.StatusCode, body)
	}
	client.CloseIdleConnections()
}

func TestCloseIdempotentAndEndsRelays(t *testing.T) {
	echo, _ := echoServer(t)
	s := socksd.New(zerolog.Nop(), socksd.MapResolver(map[string]string{"a.onion": echo}))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep, c := connect(t, s.Addr(), []byte{0}, "", 3, []byte("a.onion"), 80)
	if rep != 0 {
		t.Fatalf("reply %d", rep)
	}
	defer c.Close()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("relay still open after Close: %v", err)
	}
	if _, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		t.Error("listener still accepting after Close")
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func TestStopsWithContext(t *testing.T) {
	s := socksd.New(zerolog.Nop(), socksd.MapResolver(nil))
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	cancel()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("server still listening after its context ended")
}
