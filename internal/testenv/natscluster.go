package testenv

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/counternet/counternet/internal/bus"
)

// Environment of a cluster node process: the test binary re-executed runs
// one nats-server node instead of the tests.
const (
	envNode     = "COUNTERNET_TEST_NATS_NODE" // node name
	envNodeDir  = "COUNTERNET_TEST_NATS_DIR"
	envNodePort = "COUNTERNET_TEST_NATS_PORT"
	envNodeCl   = "COUNTERNET_TEST_NATS_CLUSTER_PORT"
	envRoutes   = "COUNTERNET_TEST_NATS_ROUTES"
	// envSecrets is the directory of the users' password files
	// (bus.LoadUsers), read by every node.
	envSecrets = "COUNTERNET_TEST_NATS_SECRETS"
)

// ClusterStream is the event stream the cluster's users have permissions
// for (bus.RolePermissions).
const ClusterStream = "INTEL"

// Cluster is a JetStream cluster of nats-server processes on loopback.
type Cluster struct {
	tb    testing.TB
	nodes []*clusterNode
	// secrets holds the password files of the users every node admits,
	// the roles of the embedded server (bus.Roles).
	secrets string
	users   bus.Users
}

type clusterNode struct {
	name              string
	dir               string
	port, clusterPort int
	cmd               *exec.Cmd
	done              chan struct{}
}

// NATSCluster starts n nats-server processes (the test binary re-executed by
// Main, each a real nats-server with its own store) clustered over routes on
// loopback, and waits until every node accepts client connections. Every
// node admits only the users of the embedded server, with the same
// permissions (bus.ServerUsers for ClusterStream): URLs carries the service
// role's credentials, URLsFor another role's. JetStream
// elects its meta leader after that: a test retries its first stream
// creation until the cluster accepts it. The processes are killed when the
// test ends.
func NATSCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c := &Cluster{tb: tb, secrets: tb.TempDir()}
	users, err := bus.LoadUsers(c.secrets)
	if err != nil {
		tb.Fatal(err)
	}
	c.users = users
	ports := freePorts(tb, 2*n)
	for i := range n {
		c.nodes = append(c.nodes, &clusterNode{name: fmt.Sprintf("n%d", i+1), dir: filepath.Join(tb.TempDir(), "js"),
			port: ports[2*i], clusterPort: ports[2*i+1]})
	}
	tb.Cleanup(func() {
		for _, nd := range c.nodes {
			c.kill(nd)
		}
	})
	for _, nd := range c.nodes {
		c.start(nd, c.routes())
	}
	return c
}

// routes are the cluster route URLs of every node, comma separated.
func (c *Cluster) routes() string {
	var routes []string
	for _, nd := range c.nodes {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", nd.clusterPort))
	}
	return strings.Join(routes, ",")
}

func (c *Cluster) start(nd *clusterNode, routes string) {
	c.tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envNode+"="+nd.name, envNodeDir+"="+nd.dir,
		envNodePort+"="+strconv.Itoa(nd.port), envNodeCl+"="+strconv.Itoa(nd.clusterPort), envRoutes+"="+routes,
		envSecrets+"="+c.secrets)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		c.tb.Fatalf("starting nats node %s: %v", nd.name, err)
	}
	nd.cmd, nd.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(nd.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", nd.port), time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			c.tb.Fatalf("nats node %s not listening within 30s", nd.name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// URLs are the client URLs of every node, comma separated, with the
// service role's user and password (bus.RoleService: every right).
func (c *Cluster) URLs() string { return c.URLsFor(bus.RoleService) }

// URLsFor is URLs with role's user and password; "" for none.
func (c *Cluster) URLsFor(role string) string {
	var urls []string
	for _, nd := range c.nodes {
		u := url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", nd.port)}
		if role != "" {
			u.User = url.UserPassword(role, c.users[role])
		}
		urls = append(urls, u.String())
	}
	return strings.Join(urls, ",")
}

// Kill stops node i with SIGKILL and waits for it to exit.
func (c *Cluster) Kill(i int) { c.kill(c.nodes[i]) }

func (c *Cluster) kill(nd *clusterNode) {
	if nd.cmd == nil || nd.cmd.Process == nil {
		return
	}
	_ = nd.cmd.Process.Kill()
	select {
	case <-nd.done:
	case <-time.After(10 * time.Second):
	}
}

// Restart starts a killed node i again on its ports and store.
func (c *Cluster) Restart(i int) {
	c.tb.Helper()
	c.start(c.nodes[i], c.routes())
}

// runClusterNode runs a cluster node when this process was started as one
// and reports whether it did (the process then exits).
func runClusterNode() bool {
	name := os.Getenv(envNode)
	if name == "" {
		return false
	}
	port, _ := strconv.Atoi(os.Getenv(envNodePort))
	cport, _ := strconv.Atoi(os.Getenv(envNodeCl))
	users, err := bus.LoadUsers(os.Getenv(envSecrets))
	if err == nil && len(users) == 0 {
		err = fmt.Errorf("no users in %q", os.Getenv(envSecrets))
	}
	var su []*server.User
	if err == nil {
		su, err = bus.ServerUsers(users, ClusterStream)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "nats node %s: %v\n", name, err)
		os.Exit(1)
	}
	opts := &server.Options{
		// Only the users, as the embedded server: no anonymous client.
		Users:      su,
		ServerName: name, Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: os.Getenv(envNodeDir),
		NoSigs: true, NoLog: os.Getenv("COUNTERNET_TEST_NATS_LOG") == "",
		Cluster: server.ClusterOpts{Name: "counternet-test", Host: "127.0.0.1", Port: cport},
		Routes:  server.RoutesFromStr(os.Getenv(envRoutes)),
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nats node %s: %v\n", name, err)
		os.Exit(1)
	}
	srv.Start()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	srv.Shutdown()
	srv.WaitForShutdown()
	os.Exit(0)
	return true
}

func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}
