package tor

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/socksd"
)

// recordingForward wraps d's forward dial and records every address asked for.
func recordingForward(d *Dialer) *[]string {
	var mu sync.Mutex
	seen := &[]string{}
	inner := d.forward
	d.forward = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		*seen = append(*seen, addr)
		mu.Unlock()
		return inner(ctx, network, addr)
	}
	return seen
}

// rawSOCKS is a one-shot SOCKS5 server that records the CONNECT request's
// address type and host, then answers with reply.
type rawSOCKS struct {
	ln    net.Listener
	atyp  chan byte
	host  chan string
	user  chan string
	reply byte
}

func startRawSOCKS(t *testing.T, reply byte) *rawSOCKS {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawSOCKS{ln: ln, atyp: make(chan byte, 1), host: make(chan string, 1), user: make(chan string, 1), reply: reply}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		r := bufio.NewReader(c)
		b := make([]byte, 2)
		io.ReadFull(r, b)
		methods := make([]byte, b[1])
		io.ReadFull(r, methods)
		c.Write([]byte{5, 2})
		io.ReadFull(r, b) // auth version, ulen
		u := make([]byte, b[1])
		io.ReadFull(r, u)
		s.user <- string(u)
		io.ReadFull(r, b[:1])
		io.CopyN(io.Discard, r, int64(b[0]))
		c.Write([]byte{1, 0})
		head := make([]byte, 4)
		io.ReadFull(r, head)
		s.atyp <- head[3]
		switch head[3] {
		case 3:
			io.ReadFull(r, b[:1])
			name := make([]byte, b[0])
			io.ReadFull(r, name)
			s.host <- string(name)
		case 1:
			ip := make([]byte, 4)
			io.ReadFull(r, ip)
			s.host <- net.IP(ip).String()
		default:
			s.host <- ""
		}
		io.ReadFull(r, b) // port
		c.Write([]byte{5, s.reply, 0, 1, 127, 0, 0, 1, 0, 80})
		io.Copy(io.Discard, r)
	}()
	return s
}

func testOnion(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return OnionV3(pub)
}

func TestDialSendsHostnameUnresolved(t *testing.T) {
	onion := testOnion(t)
	tests := []struct {
		name     string
		host     string
		wantATYP byte
	}{
		{"onion name", onion, 3},
		{"clearnet name", "example.invalid", 3},
		{"ip literal", "127.0.0.9", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startRawSOCKS(t, 0)
			d := NewDialer(srv.ln.Addr().String())
			seen := recordingForward(d)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := d.ForIdentity("market1", "run-1").DialContext(ctx, "tcp", net.JoinHostPort(tt.host, "80"))
			if err != nil {
				t.Fatalf("DialContext: %v", err)
			}
			c.Close()
			if got := <-srv.atyp; got != tt.wantATYP {
				t.Errorf("ATYP = %d, want %d", got, tt.wantATYP)
			}
			if got := <-srv.host; got != tt.host {
				t.Errorf("host at proxy = %q, want %q", got, tt.host)
			}
			if got := <-srv.user; got != "cn-market1" {
				t.Errorf("username = %q, want cn-market1", got)
			}
			if len(*seen) != 1 || (*seen)[0] != srv.ln.Addr().String() {
				t.Errorf("forward dialer saw %v, want only the proxy %s", *seen, srv.ln.Addr())
			}
		})
	}
}

func TestDialProxyDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now

	d := NewDialer(addr, WithProxyTimeout(2*time.Second))
	seen := recordingForward(d)
	_, err = d.ForIdentity("m", "s").DialContext(context.Background(), "tcp", testOnion(t)+":80")
	if !errors.Is(err, ErrProxyDown) {
		t.Fatalf("error = %v, want ErrProxyDown", err)
	}
	if errors.Is(err, ErrTargetUnreachable) {
		t.Errorf("proxy down reported as target unreachable: %v", err)
	}
	if want := "dialing tor socks proxy " + addr + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	for _, a := range *seen {
		if a != addr {
			t.Errorf("dialed %s, only the proxy %s may be dialed", a, addr)
		}
	}
}

func TestDialTargetUnreachableIsNotProxyDown(t *testing.T) {
	srv := startRawSOCKS(t, 0x04)
	d := NewDialer(srv.ln.Addr().String())
	_, err := d.ForIdentity("m", "s").DialContext(context.Background(), "tcp", testOnion(t)+":80")
	if !errors.Is(err, ErrTargetUnreachable) {
		t.Fatalf("error = %v, want ErrTargetUnreachable", err)
	}
	if errors.Is(err, ErrProxyDown) {
		t.Errorf("target error reported as proxy down: %v", err)
	}
}

func TestDialContextCanceled(t *testing.T) {
	// A proxy that accepts but never answers: the caller's deadline ends the
	// dial, and it is not reported as the proxy being down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	d := NewDialer(ln.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = d.ForIdentity("m", "s").DialContext(ctx, "tcp", "x.onion:80")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want context.DeadlineExceeded", err)
	}
	if errors.Is(err, ErrProxyDown) {
		t.Errorf("stalled handshake reported as proxy down: %v", err)
	}
}

func TestDialRejectsNonTCP(t *testing.T) {
	d := NewDialer("127.0.0.1:1")
	seen := recordingForward(d)
	if _, err := d.ForIdentity("m", "s").DialContext(context.Background(), "udp", "x.onion:53"); err == nil {
		t.Fatal("udp dial succeeded")
	}
	if len(*seen) != 0 {
		t.Errorf("dialed %v for a rejected network", *seen)
	}
}

func TestForIdentity(t *testing.T) {
	d := NewDialer("127.0.0.1:9050")
	a := d.ForIdentity("alpha", "run-1")
	b := d.ForIdentity("alpha", "run-2")
	c := d.ForIdentity("beta", "run-1")
	if a.Username() != "cn-alpha" || c.Username() != "cn-beta" {
		t.Errorf("usernames %q %q", a.Username(), c.Username())
	}
	if a.auth.Password == b.auth.Password {
		t.Error("two sessions share a password, so they would share circuits")
	}
	if strings.Contains(a.auth.Password, "run-1") {
		t.Errorf("password %q carries the raw session", a.auth.Password)
	}
	long := d.ForIdentity(strings.Repeat("x", 400), "s")
	if n := len(long.Username()); n > 255 {
		t.Errorf("username length %d exceeds RFC 1929's 255", n)
	}
}

// TestDialThroughSocksd runs HTTP over the dialer and the stand-in proxy: the
// onion name reaches the proxy, the proxy's outbound connection reaches the
// site, and each identity shows up as its own username.
func TestDialThroughSocksd(t *testing.T) {
	onion := testOnion(t)
	var srv *socksd.Server
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !srv.IsOutbound(r.RemoteAddr) {
			http.Error(w, "direct", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "hello %s", r.Host)
	}))
	defer web.Close()
	webAddr := strings.TrimPrefix(web.URL, "http://")
	srv = socksd.New(zerolog.Nop(), socksd.MapResolver(map[string]string{onion: webAddr}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	d := NewDialer(srv.Addr())
	seen := recordingForward(d)
	for _, id := range []*IdentityDialer{d.ForIdentity("alpha", "r1"), d.ForIdentity("beta", "r1")} {
		client := &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: id.DialContext}}
		resp, err := client.Get("http://" + onion + "/")
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		client.CloseIdleConnections()
		if resp.StatusCode != 200 || string(body) != "hello "+onion {
			t.Errorf("status %d body %q", resp.StatusCode, body)
		}
	}
	if got := srv.Usernames(); len(got) != 2 || got[0] != "cn-alpha" || got[1] != "cn-beta" {
		t.Errorf("usernames = %v", got)
	}
	for _, a := range *seen {
		if a != srv.Addr() {
			t.Errorf("dialed %s, only the proxy may be dialed", a)
		}
	}

	// An unknown name is a target error, not the proxy being down.
	_, err := d.ForIdentity("alpha", "r1").DialContext(ctx, "tcp", testOnion(t)+":80")
	if !errors.Is(err, ErrTargetUnreachable) || errors.Is(err, ErrProxyDown) {
		t.Errorf("unknown onion: error = %v, want ErrTargetUnreachable only", err)
	}
}
