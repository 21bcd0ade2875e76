package tornet

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/tor"
)

// Bounds of the waits.
const (
	maxConsensusBytes = 4 << 20
	maxHostnameBytes  = 128
	httpTimeout       = 5 * time.Second
)

// Tor's key file headers: 32 bytes, the text padded with NULs.
const (
	secretKeyHeader = "== ed25519v1-secret: type0 =="
	publicKeyHeader = "== ed25519v1-public: type0 =="
	keyHeaderSize   = 32
)

// waitConsensus polls the first authority's current consensus until it
// lists want relays (lines starting "r ").
func (n *Network) waitConsensus(ctx context.Context, want int) error {
	url := "http://" + hostPort(n.auths[0].dirPort) + "/tor/status-vote/current/consensus"
	client := &http.Client{Timeout: httpTimeout}
	got, last := 0, error(nil)
	for {
		for _, nd := range n.nodes {
			if err := nd.alive(); err != nil {
				return err
			}
		}
		got, last = consensusRelays(ctx, client, url)
		if last == nil && got >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("consensus listed %d of %d relays: %w (last: %w)", got, want, ctx.Err(), last)
			}
			return fmt.Errorf("consensus listed %d of %d relays: %w", got, want, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// consensusRelays fetches a consensus and counts its router lines.
func consensusRelays(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("fetching consensus: %w", err)
	}
	// Asked for gzip (Go's default), tor answers deflate, which Go does not
	// decode.
	req.Header.Set("Accept-Encoding", "identity")
	res, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("fetching consensus: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxConsensusBytes))
		return 0, fmt.Errorf("fetching consensus: status %s", res.Status)
	}
	return countRouters(io.LimitReader(res.Body, maxConsensusBytes))
}

// countRouters counts the "r " lines of a consensus document.
func countRouters(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	n := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "r ") {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("reading consensus: %w", err)
	}
	return n, nil
}

// prepareServices creates the services' directories and writes the keys
// the options give.
func (n *Network) prepareServices(s *node) error {
	for _, svc := range n.opts.Services {
		dir := n.serviceDir(s, svc.Name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating onion service directory %s: %w", svc.Name, err)
		}
		// tor insists on a private directory (MkdirAll leaves existing
		// parents as they are and is subject to the umask).
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o700); err != nil {
				return fmt.Errorf("securing onion service directory %s: %w", svc.Name, err)
			}
		}
		if svc.Key != nil {
			if err := writeOnionKeys(dir, svc.Key); err != nil {
				return fmt.Errorf("writing key of onion service %s: %w", svc.Name, err)
			}
		}
	}
	return nil
}

// writeOnionKeys writes key as tor's hs_ed25519_secret_key (the expanded
// secret key: SHA-512 of the seed, first half clamped) and
// hs_ed25519_public_key files.
func writeOnionKeys(dir string, key ed25519.PrivateKey) error {
	secret := make([]byte, keyHeaderSize, keyHeaderSize+64)
	copy(secret, secretKeyHeader)
	secret = append(secret, expandSecret(key.Seed())...)
	public := make([]byte, keyHeaderSize, keyHeaderSize+ed25519.PublicKeySize)
	copy(public, publicKeyHeader)
	public = append(public, key.Public().(ed25519.PublicKey)...)
	if err := os.WriteFile(filepath.Join(dir, "hs_ed25519_secret_key"), secret, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "hs_ed25519_public_key"), public, 0o600)
}

// expandSecret is ed25519's expanded secret key of seed (RFC 8032 5.1.5):
// the scalar half clamped, then the prefix half.
func expandSecret(seed []byte) []byte {
	h := sha512.Sum512(seed)
	h[0] &= 248
	h[31] &= 127
	h[31] |= 64
	return h[:]
}

// publishServices connects to the service tor's control port, subscribes to
// HS_DESC events, enables the network, and waits until every service's
// descriptor has been uploaded to at least one HSDir with no upload still
// pending. It records each service's onion host from its hostname file.
func (n *Network) publishServices(ctx context.Context, s *node) error {
	cc, err := n.waitControl(ctx, s)
	if err != nil {
		return err
	}
	defer cc.Close()
	byAddr := map[string]string{} // onion address without .onion → service name
	for _, svc := range n.opts.Services {
		host, err := n.waitHostname(ctx, s, filepath.Join(n.serviceDir(s, svc.Name), "hostname"))
		if err != nil {
			return err
		}
		if svc.Key != nil && host != tor.OnionV3(svc.Key.Public().(ed25519.PublicKey)) {
			return fmt.Errorf("onion service %s: tor serves %s, not the host of the key given", svc.Name, host)
		}
		n.hosts[svc.Name] = host
		byAddr[strings.TrimSuffix(host, ".onion")] = svc.Name
	}
	uploads := newUploadBook(byAddr)
	onEvent := func(r reply) { uploads.note(r) }
	if _, err := cc.command(ctx, "SETEVENTS HS_DESC", onEvent); err != nil {
		return err
	}
	if _, err := cc.command(ctx, "SETCONF DisableNetwork=0", onEvent); err != nil {
		return err
	}
	for !uploads.done() {
		if err := s.alive(); err != nil {
			return err
		}
		cc.setDeadline(ctx)
		r, err := cc.read()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("waiting for descriptor uploads (%s): %w", uploads, ctx.Err())
			}
			return fmt.Errorf("%w: waiting for descriptor uploads (%s): %w", ErrControl, uploads, err)
		}
		onEvent(r)
	}
	n.log.Debug().Str("uploads", uploads.String()).Msg("onion service descriptors uploaded")
	return nil
}

// waitControl waits until s's control port accepts an authenticated
// connection (tor writes the cookie once the port is open).
func (n *Network) waitControl(ctx context.Context, s *node) (*controlConn, error) {
	cookie := filepath.Join(s.dir, "control_auth_cookie")
	for {
		if err := s.alive(); err != nil {
			return nil, err
		}
		cc, err := dialControl(ctx, hostPort(s.controlPort), cookie)
		if err == nil {
			return cc, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the control port of %s: %w (last: %w)", s.name, ctx.Err(), err)
		case <-time.After(pollEvery):
		}
	}
}

// waitHostname waits for tor to write a service's hostname file and reads it.
func (n *Network) waitHostname(ctx context.Context, s *node, path string) (string, error) {
	for {
		if err := s.alive(); err != nil {
			return "", err
		}
		host, err := readHostname(path)
		if err == nil || !errors.Is(err, os.ErrNotExist) {
			return host, err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for %s: %w", path, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// readHostname reads the host tor wrote to a service's hostname file and
// checks that it is a v3 onion address.
func readHostname(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading onion hostname: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxHostnameBytes))
	if err != nil {
		return "", fmt.Errorf("reading onion hostname: %w", err)
	}
	host := strings.TrimSpace(string(b))
	if err := tor.ValidateOnion(host); err != nil {
		return "", fmt.Errorf("reading onion hostname %s: %w", path, err)
	}
	return host, nil
}

// uploadBook tracks HS_DESC events: per service, the HSDirs that accepted a
// descriptor and the uploads not yet answered.
type uploadBook struct {
	byAddr   map[string]string
	uploaded map[string]map[string]bool // service → HSDir → accepted
	pending  map[string]int             // service → uploads in flight
	failed   map[string]int
}

func newUploadBook(byAddr map[string]string) *uploadBook {
	return &uploadBook{byAddr: byAddr, uploaded: map[string]map[string]bool{}, pending: map[string]int{}, failed: map[string]int{}}
}

// note records one event: "HS_DESC Action HSAddress AuthType HsDir ...".
func (b *uploadBook) note(r reply) {
	if r.code != 650 || len(r.lines) == 0 {
		return
	}
	f := strings.Fields(r.lines[0])
	if len(f) < 5 || f[0] != "HS_DESC" {
		return
	}
	svc, ok := b.byAddr[f[2]]
	if !ok {
		return
	}
	switch f[1] {
	case "UPLOAD":
		b.pending[svc]++
	case "UPLOADED":
		b.pending[svc] = max(b.pending[svc]-1, 0)
		if b.uploaded[svc] == nil {
			b.uploaded[svc] = map[string]bool{}
		}
		b.uploaded[svc][f[4]] = true
	case "FAILED":
		b.pending[svc] = max(b.pending[svc]-1, 0)
		b.failed[svc]++
	}
}

// done reports whether every service has a descriptor on some HSDir and no
// upload in flight.
func (b *uploadBook) done() bool {
	for _, svc := range b.byAddr {
		if len(b.uploaded[svc]) == 0 || b.pending[svc] > 0 {
			return false
		}
	}
	return true
}

func (b *uploadBook) String() string {
	var parts []string
	for _, svc := range b.byAddr {
		parts = append(parts, fmt.Sprintf("%s: %d hsdirs, %d pending, %d failed",
			svc, len(b.uploaded[svc]), b.pending[svc], b.failed[svc]))
	}
	return strings.Join(parts, "; ")
}

// waitBootstrapped polls the client's bootstrap status until it reaches
// 100%.
func (n *Network) waitBootstrapped(ctx context.Context, c *node) error {
	cc, err := n.waitControl(ctx, c)
	if err != nil {
		return err
	}
	defer cc.Close()
	last := ""
	for {
		if err := c.alive(); err != nil {
			return err
		}
		v, err := cc.getinfo(ctx, "status/bootstrap-phase")
		if err != nil && ctx.Err() == nil {
			return err
		}
		if strings.Contains(v, "PROGRESS=100 ") {
			return nil
		}
		if v != "" {
			last = v
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("client bootstrap at %q: %w", last, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}
