package tornet

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestParseCircuitStatus(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Circuit
	}{
		{"empty", "", nil},
		{
			"rend circuit with credentials",
			`8 BUILT $AAAA~relay0,$BBBB~auth1 BUILD_FLAGS=IS_INTERNAL,NEED_CAPACITY PURPOSE=HS_CLIENT_REND HS_STATE=HSCR_JOINED REND_QUERY=p3ab TIME_CREATED=2026-11-24T05:42:45.123456 SOCKS_USERNAME="cn-nebula" SOCKS_PASSWORD="0a1b"`,
			[]Circuit{{ID: "8", Status: "BUILT", Path: []string{"$AAAA~relay0", "$BBBB~auth1"}, Purpose: "HS_CLIENT_REND",
				HSState: "HSCR_JOINED", RendQuery: "p3ab", Username: "cn-nebula", Password: "0a1b"}},
		},
		{
			"launched without path, escaped username",
			"3 LAUNCHED PURPOSE=GENERAL\n4 BUILT $CCCC~relay1 PURPOSE=GENERAL SOCKS_USERNAME=\"a \\\"b\\\"\"",
			[]Circuit{
				{ID: "3", Status: "LAUNCHED", Purpose: "GENERAL"},
				{ID: "4", Status: "BUILT", Path: []string{"$CCCC~relay1"}, Purpose: "GENERAL", Username: `a "b"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCircuitStatus(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"7", `7 BUILT SOCKS_USERNAME="open`} {
		if _, err := parseCircuitStatus(bad); !errors.Is(err, ErrControl) {
			t.Errorf("parseCircuitStatus(%q) error %v, want ErrControl", bad, err)
		}
	}
}

func TestParseStreamStatus(t *testing.T) {
	got, err := parseStreamStatus("19 SUCCEEDED 8 p3ab.onion:80\n20 NEW 0 example.onion:80\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []Stream{{"19", "SUCCEEDED", "8", "p3ab.onion:80"}, {"20", "NEW", "0", "example.onion:80"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, err := parseStreamStatus("19 SUCCEEDED 8"); !errors.Is(err, ErrControl) {
		t.Errorf("short line: error %v, want ErrControl", err)
	}
}

func TestSplitQuoted(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a b  c", []string{"a", "b", "c"}},
		{`K="x y" L=z`, []string{"K=x y", "L=z"}},
		{`K=""`, []string{"K="}},
		{`K="a\\b\nc"`, []string{"K=a\\b\nc"}},
	}
	for _, tt := range tests {
		got, err := splitQuoted(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitQuoted(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`K="open`, `K="a\`} {
		if _, err := splitQuoted(bad); err == nil {
			t.Errorf("splitQuoted(%q) accepted", bad)
		}
	}
}

func TestControlRead(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want reply
		err  bool
	}{
		{"single", "250 OK\r\n", reply{250, []string{"OK"}}, false},
		{"multi", "250-version=0.4.9.8\r\n250 OK\r\n", reply{250, []string{"version=0.4.9.8", "OK"}}, false},
		{"data", "250+stream-status=\r\n1 NEW 0 a:80\r\n..dot\r\n.\r\n250 OK\r\n",
			reply{250, []string{"stream-status=\n1 NEW 0 a:80\n.dot", "OK"}}, false},
		{"event", "650 HS_DESC UPLOADED abc UNKNOWN $X\r\n", reply{650, []string{"HS_DESC UPLOADED abc UNKNOWN $X"}}, false},
		{"error", "552 Unrecognized key\r\n", reply{552, []string{"Unrecognized key"}}, false},
		{"garbage", "hello\r\n", reply{}, true},
		{"bad separator", "250*x\r\n", reply{}, true},
		{"line too long", "250 " + strings.Repeat("x", maxControlLine) + "\r\n", reply{}, true},
		{"cut short", "250-a\r\n", reply{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := &controlConn{r: bufio.NewReaderSize(strings.NewReader(tt.in), 4096)}
			got, err := cc.read()
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %v", err, tt.err)
			}
			if !tt.err && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCertFingerprint(t *testing.T) {
	cert := "dir-key-certificate-version 3\ndir-address 127.0.0.1:7000\nfingerprint 4EF5E86F8E3EC87C1F7508BCFF0231E53A781622\n"
	got, err := certFingerprint([]byte(cert))
	if err != nil || got != "4EF5E86F8E3EC87C1F7508BCFF0231E53A781622" {
		t.Errorf("certFingerprint = %q, %v", got, err)
	}
	if _, err := certFingerprint([]byte("fingerprint xyz\n")); err == nil {
		t.Error("certFingerprint accepted a malformed fingerprint")
	}
}

func TestParseListFingerprint(t *testing.T) {
	out := "Nov 24 05:34:50.380 [notice] Your Tor server's identity key fingerprint is 'auth0 FFAA4BF3FECE967D67443226F669822616EC6C73'\n" +
		"auth0 FFAA 4BF3 FECE 967D 6744 3226 F669 8226 16EC 6C73\n"
	got, err := parseListFingerprint([]byte(out), "auth0")
	if err != nil || got != "FFAA4BF3FECE967D67443226F669822616EC6C73" {
		t.Errorf("parseListFingerprint = %q, %v", got, err)
	}
	if _, err := parseListFingerprint([]byte(out), "auth1"); err == nil {
		t.Error("parseListFingerprint found a fingerprint for another nickname")
	}
}

func TestCountRouters(t *testing.T) {
	doc := "network-status-version 3\nr auth0 x y\ns Running\nr relay0 x y\nr relay1 x y\nrouter-sig\n"
	n, err := countRouters(strings.NewReader(doc))
	if err != nil || n != 3 {
		t.Errorf("countRouters = %d, %v; want 3", n, err)
	}
}

func TestUploadBook(t *testing.T) {
	b := newUploadBook(map[string]string{"abc": "nebula"})
	ev := func(s string) reply { return reply{code: 650, lines: []string{s}} }
	steps := []struct {
		event string
		done  bool
	}{
		{"HS_DESC UPLOAD abc UNKNOWN $H1 descid HSDIR_INDEX=x", false},
		{"HS_DESC UPLOAD abc UNKNOWN $H2 descid HSDIR_INDEX=x", false},
		{"HS_DESC UPLOAD other UNKNOWN $H3 descid HSDIR_INDEX=x", false},
		{"HS_DESC UPLOADED abc UNKNOWN $H1", false},
		{"HS_DESC FAILED abc UNKNOWN $H2 REASON=UPLOAD_REJECTED", true},
		{"HS_DESC UPLOAD abc UNKNOWN $H2 descid HSDIR_INDEX=x", false},
		{"HS_DESC UPLOADED abc UNKNOWN $H2", true},
	}
	for i, s := range steps {
		b.note(ev(s.event))
		if b.done() != s.done {
			t.Fatalf("after step %d (%s): done = %v, want %v (%s)", i, s.event, b.done(), s.done, b)
		}
	}
}

// TestWriteOnionKeys checks the key files against tor's format: a 32-byte
// header, then the expanded secret key whose second half is the prefix of
// SHA-512(seed), and the public key.
func TestWriteOnionKeys(t *testing.T) {
	seed := sha256.Sum256([]byte("tornet test"))
	key := ed25519.NewKeyFromSeed(seed[:])
	dir := t.TempDir()
	if err := writeOnionKeys(dir, key); err != nil {
		t.Fatal(err)
	}
	secret, err := os.ReadFile(filepath.Join(dir, "hs_ed25519_secret_key"))
	if err != nil {
		t.Fatal(err)
	}
	public, err := os.ReadFile(filepath.Join(dir, "hs_ed25519_public_key"))
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != 96 || string(bytes.TrimRight(secret[:32], "\x00")) != secretKeyHeader {
		t.Errorf("secret key file: %d bytes, header %q", len(secret), secret[:min(32, len(secret))])
	}
	if len(public) != 64 || string(bytes.TrimRight(public[:32], "\x00")) != publicKeyHeader ||
		!bytes.Equal(public[32:], key.Public().(ed25519.PublicKey)) {
		t.Errorf("public key file: %d bytes, header %q", len(public), public[:min(32, len(public))])
	}
	exp := secret[32:]
	if exp[0]&7 != 0 || exp[31]&128 != 0 || exp[31]&64 == 0 {
		t.Errorf("scalar not clamped: %x ... %x", exp[0], exp[31])
	}
}

func TestOptionsWithDefaults(t *testing.T) {
	ok := Service{Name: "nebula", Target: "127.0.0.1:8080"}
	tests := []struct {
		name string
		opts Options
		err  bool
	}{
		{"defaults", Options{Services: []Service{ok}}, false},
		{"no service", Options{}, true},
		{"one relay", Options{Relays: 1, Services: []Service{ok}}, true},
		{"not loopback", Options{Services: []Service{{Name: "x", Target: "10.0.0.1:80"}}}, true},
		{"name with slash", Options{Services: []Service{{Name: "a/b", Target: "127.0.0.1:80"}}}, true},
		{"repeated name", Options{Services: []Service{ok, ok}}, true},
		{"bad port", Options{Services: []Service{{Name: "x", Target: "127.0.0.1:80", VirtPort: 70000}}}, true},
		{"short key", Options{Services: []Service{{Name: "x", Target: "127.0.0.1:80", Key: make([]byte, 10)}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.withDefaults()
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %v", err, tt.err)
			}
			if err != nil {
				if !errors.Is(err, ErrStart) {
					t.Errorf("error %v does not wrap ErrStart", err)
				}
				return
			}
			if got.Relays != DefaultRelays || got.StartTimeout != DefaultStartTimeout || got.Services[0].VirtPort != DefaultVirtPort {
				t.Errorf("defaults not applied: %+v", got)
			}
		})
	}
}

func TestFreePorts(t *testing.T) {
	ports, err := freePorts(t.Context(), 12)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] || p <= 0 {
			t.Errorf("port %d repeated or invalid in %v", p, ports)
		}
		seen[p] = true
	}
}

// TestStopAll checks SIGTERM, then SIGKILL for a process that ignores it,
// on real processes.
func TestStopAll(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	n := &Network{dir: t.TempDir()}
	polite := n.newNode("polite", "test")
	stubborn := n.newNode("stubborn", "test")
	for _, nd := range []*node{polite, stubborn} {
		if err := os.MkdirAll(nd.dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	start := func(nd *node, script string) {
		t.Helper()
		if err := startProcess(nd, "/bin/sh", "-c", script); err != nil {
			t.Fatal(err)
		}
	}
	start(polite, "sleep 60")
	start(stubborn, "trap '' TERM; echo ready; while :; do sleep 0.1; done")
	waitFor(t, func() bool { return strings.Contains(tailFile(filepath.Join(stubborn.dir, "stdout.log"), 1), "ready") })
	stopAll(n.nodes, 300*time.Millisecond, testLog(t))
	for _, nd := range n.nodes {
		if nd.alive() == nil {
			t.Errorf("%s still running after stopAll", nd.name)
		}
	}
	// A second stop finds nothing to do.
	stopAll(n.nodes, time.Millisecond, testLog(t))
}

func testLog(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FuzzControlParsers feeds arbitrary control-port text to the parsers: they
// may reject it, never panic.
func FuzzControlParsers(f *testing.F) {
	f.Add(`8 BUILT $AAAA~relay0 PURPOSE=HS_CLIENT_REND SOCKS_USERNAME="cn-nebula"`)
	f.Add("19 SUCCEEDED 8 p3ab.onion:80\n20 NEW 0 x:80")
	f.Add("250+k=\r\n..x\r\n.\r\n250 OK\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseCircuitStatus(s)
		_, _ = parseStreamStatus(s)
		_, _ = splitQuoted(s)
		cc := &controlConn{r: bufio.NewReaderSize(strings.NewReader(s), 4096)}
		_, _ = cc.read()
	})
}
