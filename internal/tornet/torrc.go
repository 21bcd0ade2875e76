package tornet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// toolTimeout bounds one run of tor-gencert or tor --list-fingerprint
// (3072-bit RSA key generation took up to 8s on a loaded 2-core machine).
const toolTimeout = 45 * time.Second

// authority is a directory authority: its node and the identities the
// DirAuthority line names.
type authority struct {
	*node
	v3ident     string // fingerprint of the authority identity key
	fingerprint string // relay identity fingerprint
}

var hexFingerprint = regexp.MustCompile(`^[0-9A-F]{40}$`)

// makeAuthorities creates the authorities' keys (in parallel: RSA key
// generation takes seconds on a busy machine) and learns their
// fingerprints, then writes their torrcs (which all name all of them).
func (n *Network) makeAuthorities(ctx context.Context, take func() int) error {
	for i := range authorities {
		a := &authority{node: n.newNode(fmt.Sprintf("auth%d", i), "authority")}
		a.orPort, a.dirPort = take(), take()
		n.auths = append(n.auths, a)
	}
	errs := make([]error, len(n.auths))
	var wg sync.WaitGroup
	for i, a := range n.auths {
		wg.Go(func() { errs[i] = n.makeAuthority(ctx, a) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, a := range n.auths {
		a.torrc = n.authorityTorrc(a)
	}
	return nil
}

func (n *Network) makeAuthority(ctx context.Context, a *authority) error {
	keys := filepath.Join(a.dir, "keys")
	if err := os.MkdirAll(keys, 0o700); err != nil {
		return fmt.Errorf("creating keys directory of %s: %w", a.name, err)
	}
	var err error
	if a.v3ident, err = genAuthorityKeys(ctx, keys, a.dirPort); err != nil {
		return fmt.Errorf("%w: creating authority keys of %s: %w", ErrStart, a.name, err)
	}
	if a.fingerprint, err = n.listFingerprint(ctx, a); err != nil {
		return fmt.Errorf("%w: reading relay fingerprint of %s: %w", ErrStart, a.name, err)
	}
	return nil
}

// genAuthorityKeys runs tor-gencert --create-identity-key in keys (with an
// empty passphrase) and returns the v3ident: the certificate's fingerprint.
func genAuthorityKeys(ctx context.Context, keys string, dirPort int) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	cert := filepath.Join(keys, "authority_certificate")
	cmd := exec.CommandContext(ctx, "tor-gencert", "--create-identity-key", "--passphrase-fd", "0",
		"-m", "12", "-a", hostPort(dirPort),
		"-i", filepath.Join(keys, "authority_identity_key"),
		"-s", filepath.Join(keys, "authority_signing_key"),
		"-c", cert)
	cmd.Stdin = strings.NewReader("\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("running tor-gencert: %w: %s", err, firstLines(out, 5))
	}
	data, err := os.ReadFile(cert)
	if err != nil {
		return "", fmt.Errorf("reading authority certificate: %w", err)
	}
	return certFingerprint(data)
}

// certFingerprint returns the fingerprint line's value of an authority key
// certificate.
func certFingerprint(cert []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(cert))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "fingerprint" && hexFingerprint.MatchString(f[1]) {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("authority certificate has no fingerprint line")
}

// listFingerprint runs tor --list-fingerprint on a's data directory and
// ORPort, creating its relay identity key, and returns the fingerprint.
func (n *Network) listFingerprint(ctx context.Context, a *authority) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "tor", "--list-fingerprint",
		"--defaults-torrc", n.defaultsPath(), "-f", n.defaultsPath(),
		"--DataDirectory", a.dir, "--ORPort", hostPort(a.orPort), "--Nickname", a.name,
		// Any authority line keeps tor from naming the public ones.
		"--DirAuthority", "placeholder 127.0.0.1:1 ffffffffffffffffffffffffffffffffffffffff")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("running tor --list-fingerprint: %w: %s", err, firstLines(out, 5))
	}
	return parseListFingerprint(out, a.name)
}

// parseListFingerprint finds "<nickname> XXXX XXXX ..." in the output of tor
// --list-fingerprint and returns the 40 hex digits.
func parseListFingerprint(out []byte, nickname string) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 11 && f[0] == nickname {
			fp := strings.Join(f[1:], "")
			if hexFingerprint.MatchString(fp) {
				return fp, nil
			}
		}
	}
	return "", fmt.Errorf("no fingerprint for %s in tor's output: %s", nickname, firstLines(out, 5))
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(strings.TrimSpace(string(b)), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

// torrcQuote quotes a value (a path) for a torrc line.
func torrcQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// commonTorrc is what every tor of the network has.
func (n *Network) commonTorrc(nd *node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "TestingTorNetwork 1\n")
	fmt.Fprintf(&b, "Nickname %s\n", nd.name)
	fmt.Fprintf(&b, "DataDirectory %s\n", torrcQuote(nd.dir))
	// Log's value is words, so its path cannot be quoted; Start refuses a
	// directory with spaces or quotes in its path.
	fmt.Fprintf(&b, "Log notice file %s\n", nd.logPath())
	fmt.Fprintf(&b, "SafeLogging 0\n")
	fmt.Fprintf(&b, "ShutdownWaitLength 0\n")
	fmt.Fprintf(&b, "PathsNeededToBuildCircuits 0.67\n")
	fmt.Fprintf(&b, "OutboundBindAddress 127.0.0.1\n")
	fmt.Fprintf(&b, "ClientUseIPv6 0\n")
	for _, a := range n.auths {
		fmt.Fprintf(&b, "DirAuthority %s orport=%d no-v2 v3ident=%s %s %s\n",
			a.name, a.orPort, a.v3ident, hostPort(a.dirPort), a.fingerprint)
	}
	return b.String()
}

func (n *Network) authorityTorrc(a *authority) string {
	fps := make([]string, len(n.auths))
	for i, o := range n.auths {
		fps[i] = o.fingerprint
	}
	var b strings.Builder
	b.WriteString(n.commonTorrc(a.node))
	fmt.Fprintf(&b, "SocksPort 0\n")
	fmt.Fprintf(&b, "Address 127.0.0.1\n")
	fmt.Fprintf(&b, "ORPort %s\n", hostPort(a.orPort))
	fmt.Fprintf(&b, "DirPort %s\n", hostPort(a.dirPort))
	fmt.Fprintf(&b, "ContactInfo %s@tornet.invalid\n", a.name)
	fmt.Fprintf(&b, "AuthoritativeDirectory 1\n")
	fmt.Fprintf(&b, "V3AuthoritativeDirectory 1\n")
	fmt.Fprintf(&b, "AssumeReachable 1\n")
	fmt.Fprintf(&b, "ExitPolicy reject *:*\n")
	fmt.Fprintf(&b, "TestingDirAuthVoteGuard *\n")
	fmt.Fprintf(&b, "TestingMinExitFlagThreshold 0\n")
	fmt.Fprintf(&b, "TestingDirAuthVoteHSDir %s\n", strings.Join(fps, ","))
	fmt.Fprintf(&b, "TestingV3AuthInitialVotingInterval 5\n")
	fmt.Fprintf(&b, "TestingV3AuthInitialVoteDelay 2\n")
	fmt.Fprintf(&b, "TestingV3AuthInitialDistDelay 2\n")
	fmt.Fprintf(&b, "V3AuthVotingInterval 10\n")
	fmt.Fprintf(&b, "V3AuthVoteDelay 2\n")
	fmt.Fprintf(&b, "V3AuthDistDelay 2\n")
	fmt.Fprintf(&b, "V3AuthNIntervalsValid 2\n")
	return b.String()
}

func (n *Network) relayTorrc(r *node) string {
	var b strings.Builder
	b.WriteString(n.commonTorrc(r))
	fmt.Fprintf(&b, "SocksPort 0\n")
	fmt.Fprintf(&b, "Address 127.0.0.1\n")
	fmt.Fprintf(&b, "ORPort %s\n", hostPort(r.orPort))
	fmt.Fprintf(&b, "ContactInfo %s@tornet.invalid\n", r.name)
	fmt.Fprintf(&b, "ExitRelay 0\n")
	fmt.Fprintf(&b, "ExitPolicy reject *:*\n")
	fmt.Fprintf(&b, "AssumeReachable 1\n")
	// A relay that is a directory cache answers 404 for descriptors it
	// lacks, and tor then waits 10s before asking elsewhere.
	fmt.Fprintf(&b, "DirCache 0\n")
	return b.String()
}

// serviceTorrc publishes every service; the network starts disabled (see
// publishServices).
func (n *Network) serviceTorrc(s *node) string {
	var b strings.Builder
	b.WriteString(n.commonTorrc(s))
	fmt.Fprintf(&b, "SocksPort 0\n")
	fmt.Fprintf(&b, "ControlPort %s\n", hostPort(s.controlPort))
	fmt.Fprintf(&b, "CookieAuthentication 1\n")
	fmt.Fprintf(&b, "DisableNetwork 1\n")
	for _, svc := range n.opts.Services {
		fmt.Fprintf(&b, "HiddenServiceDir %s\n", torrcQuote(n.serviceDir(s, svc.Name)))
		fmt.Fprintf(&b, "HiddenServicePort %d %s\n", svc.VirtPort, svc.Target)
	}
	return b.String()
}

func (n *Network) clientTorrc(c *node) string {
	var b strings.Builder
	b.WriteString(n.commonTorrc(c))
	// IsolateSOCKSAuth is on by default: distinct SOCKS credentials get
	// distinct circuits.
	fmt.Fprintf(&b, "SocksPort %s\n", hostPort(c.socksPort))
	fmt.Fprintf(&b, "ControlPort %s\n", hostPort(c.controlPort))
	fmt.Fprintf(&b, "CookieAuthentication 1\n")
	return b.String()
}

func (n *Network) serviceDir(s *node, name string) string {
	return filepath.Join(s.dir, "hs", name)
}
