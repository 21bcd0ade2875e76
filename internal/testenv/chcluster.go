package testenv

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// ClusterName is the name of the test cluster in every node's
// remote_servers: what the config's clickhouse.cluster names.
const ClusterName = "counternet"

// zookeeperJar is where Debian's zookeeper package installs the server; its
// manifest names the jars it needs.
const zookeeperJar = "/usr/share/java/zookeeper.jar"

// clusterStartTimeout bounds starting zookeeper and every node.
const clusterStartTimeout = 3 * time.Minute

// ErrNoZooKeeper reports that Debian's zookeeper (or a java to run it) is
// not installed.
var ErrNoZooKeeper = errors.New("zookeeper not found (" + zookeeperJar + " and java): " +
	"install it with \"apt-get install zookeeper\" (deploy/deps.sh --with-test-tools)")

// ClickHouseCluster is a ClickHouse 18.16 cluster on loopback: shards x
// replicas clickhouse-server processes, each with its own configuration,
// ports and data directory, coordinated by one zookeeper process, all
// named in every node's remote_servers as ClusterName with internal
// replication (a Distributed table writes one replica of a shard, the
// ReplicatedMergeTree tables copy it to the others).
type ClickHouseCluster struct {
	tb    testing.TB
	dir   string
	zk    *proc
	zkLog string
	nodes []*CHNode
}

// CHNode is one clickhouse-server of a ClickHouseCluster.
type CHNode struct {
	Shard, Replica int // from 1, as in the node's macros
	dir            string
	tcp, http, ics int // native, HTTP and interserver (replication) ports

	mu sync.Mutex
	p  *proc
}

// Addr is the node's native protocol address.
func (n *CHNode) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.tcp)) }

// Name is the node's replica name, e.g. "s1r2".
func (n *CHNode) Name() string { return fmt.Sprintf("s%dr%d", n.Shard, n.Replica) }

// StartClickHouseCluster starts zookeeper and shards x replicas
// clickhouse-servers in a temporary directory of the test and returns once
// every node answers a native ping and sees zookeeper. Everything is
// stopped when the test ends. Under -short it skips the test. When
// clickhouse-server or zookeeper is missing it skips the test, saying what
// to install, except when the environment variable CI is set: then it fails.
func StartClickHouseCluster(tb testing.TB, shards, replicas int) *ClickHouseCluster {
	tb.Helper()
	if testing.Short() {
		tb.Skip("skipping the ClickHouse cluster under -short")
	}
	chBin, err := findClickHouseServer()
	if err == nil {
		err = findZooKeeper()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("testenv: %v", err)
		}
		tb.Skipf("testenv: %v", err)
	}
	c := &ClickHouseCluster{tb: tb, dir: tb.TempDir()}
	tb.Cleanup(func() {
		if tb.Failed() {
			for _, n := range c.nodes {
				tb.Logf("testenv: clickhouse-server %s log tail:\n%s", n.Name(), n.logTail())
			}
		}
		c.stopAll()
	})
	ports := freePorts(tb, 1+3*shards*replicas)
	ctx, cancel := context.WithTimeout(context.Background(), clusterStartTimeout)
	defer cancel()
	if err := c.startZooKeeper(ctx, ports[0]); err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	for s := 1; s <= shards; s++ {
		for r := 1; r <= replicas; r++ {
			i := 1 + 3*len(c.nodes)
			n := &CHNode{Shard: s, Replica: r, tcp: ports[i], http: ports[i+1], ics: ports[i+2]}
			n.dir = filepath.Join(c.dir, n.Name())
			c.nodes = append(c.nodes, n)
		}
	}
	for _, n := range c.nodes {
		if err := c.writeNodeConfig(n, ports[0]); err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		if err := c.spawnNode(n, chBin); err != nil {
			tb.Fatalf("testenv: %v", err)
		}
	}
	for _, n := range c.nodes {
		if err := c.waitNode(ctx, n); err != nil {
			tb.Fatalf("testenv: %v", err)
		}
	}
	return c
}

// Nodes are the cluster's nodes, shard by shard, replica by replica.
func (c *ClickHouseCluster) Nodes() []*CHNode { return c.nodes }

// DSN is a native DSN of database naming every node, in order: a client
// opens its connections to the first node that answers.
func (c *ClickHouseCluster) DSN(database string, params ...string) string {
	var addrs []string
	for _, n := range c.nodes {
		addrs = append(addrs, n.Addr())
	}
	dsn := "clickhouse://" + strings.Join(addrs, ",") + "/" + database
	if len(params) > 0 {
		dsn += "?" + strings.Join(params, "&")
	}
	return dsn
}

// StopNode stops node n with SIGTERM (SIGKILL after 30 s), as an operator
// stops a server, and waits for it to exit.
func (c *ClickHouseCluster) StopNode(n *CHNode) {
	c.tb.Helper()
	n.mu.Lock()
	p := n.p
	n.mu.Unlock()
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !p.stop(ctx) {
		c.tb.Logf("testenv: clickhouse-server %s killed after 30 s", n.Name())
	}
}

// StartNode starts a stopped node n again on its ports and data, and
// waits until it answers.
func (c *ClickHouseCluster) StartNode(n *CHNode) {
	c.tb.Helper()
	bin, err := findClickHouseServer()
	if err != nil {
		c.tb.Fatalf("testenv: %v", err)
	}
	if err := c.spawnNode(n, bin); err != nil {
		c.tb.Fatalf("testenv: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterStartTimeout)
	defer cancel()
	if err := c.waitNode(ctx, n); err != nil {
		c.tb.Fatalf("testenv: %v", err)
	}
}

func (c *ClickHouseCluster) stopAll() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		n.mu.Lock()
		p := n.p
		n.mu.Unlock()
		if p != nil {
			wg.Go(func() { p.stop(ctx) })
		}
	}
	wg.Wait()
	if c.zk != nil {
		c.zk.stop(ctx)
	}
}

func findClickHouseServer() (string, error) {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("clickhouse-server not found in PATH, /usr/sbin or /usr/bin: " +
		"install it with \"apt-get install clickhouse-server clickhouse-client\"")
}

func findZooKeeper() error {
	if _, err := os.Stat(zookeeperJar); err != nil {
		return ErrNoZooKeeper
	}
	if _, err := exec.LookPath("java"); err != nil {
		return ErrNoZooKeeper
	}
	return nil
}

// startZooKeeper runs a standalone zookeeper on port with its data under
// the cluster's directory and waits until it accepts connections.
func (c *ClickHouseCluster) startZooKeeper(ctx context.Context, port int) error {
	dir := filepath.Join(c.dir, "zookeeper")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o750); err != nil {
		return fmt.Errorf("starting zookeeper: %w", err)
	}
	cfg := fmt.Sprintf("tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\nadmin.enableServer=false\n4lw.commands.whitelist=srvr\n",
		filepath.Join(dir, "data"), port)
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o640); err != nil {
		return fmt.Errorf("starting zookeeper: %w", err)
	}
	c.zkLog = filepath.Join(dir, "zookeeper.log")
	p, err := spawnProc("zookeeper", dir, c.zkLog, "java", "-Xmx256m", "-XX:+UseSerialGC",
		"-Dzookeeper.admin.enableServer=false", "-cp", zookeeperJar,
		"org.apache.zookeeper.server.ZooKeeperServerMain", cfgPath)
	if err != nil {
		return err
	}
	c.zk = p
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var last error
	for {
		// Listening is not serving: clickhouse-server 18.16 gives up on a
		// zookeeper whose handshake fails and does not try again.
		if last = zkServing(addr); last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("starting zookeeper: exited (%v); log tail:\n%s", p.waitErr, tailFile(c.zkLog, 4096))
		case <-ctx.Done():
			return fmt.Errorf("starting zookeeper: not serving on %s: %v; log tail:\n%s", addr, last, tailFile(c.zkLog, 4096))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// zkServing asks zookeeper at addr for its state ("srvr") and reports
// whether it serves requests.
func zkServing(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return err
	}
	out, err := io.ReadAll(io.LimitReader(conn, 4096))
	if err != nil {
		return err
	}
	if !bytes.Contains(out, []byte("Mode: ")) {
		return fmt.Errorf("not serving: %q", strings.TrimSpace(string(out)))
	}
	return nil
}

func (c *ClickHouseCluster) spawnNode(n *CHNode, bin string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.p != nil && !n.p.exited() {
		return nil
	}
	p, err := spawnProc("clickhouse-server "+n.Name(), n.dir, filepath.Join(n.dir, "log", "stderr.log"), bin,
		"--config-file="+filepath.Join(n.dir, "config.xml"))
	if err != nil {
		return err
	}
	n.p = p
	return nil
}

// waitNode waits until n answers a native ping and reads system.zookeeper.
func (c *ClickHouseCluster) waitNode(ctx context.Context, n *CHNode) error {
	n.mu.Lock()
	p := n.p
	n.mu.Unlock()
	var last error
	for {
		if last = nodeReady(ctx, n.Addr()); last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("clickhouse-server %s exited during startup (%v); log tail:\n%s", n.Name(), p.waitErr, n.logTail())
		case <-ctx.Done():
			return fmt.Errorf("clickhouse-server %s not ready on %s: %v; log tail:\n%s", n.Name(), n.Addr(), last, n.logTail())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (n *CHNode) logTail() string {
	return tailFile(filepath.Join(n.dir, "log", "server.err.log"), 4096) + "\n" + tailFile(filepath.Join(n.dir, "log", "stderr.log"), 2048)
}

func nodeReady(ctx context.Context, addr string) error {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, DialTimeout: time.Second})
	if err != nil {
		return err
	}
	defer conn.Close()
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var n uint64
	return conn.QueryRow(qctx, "SELECT count() FROM system.zookeeper WHERE path = '/'").Scan(&n)
}

func (c *ClickHouseCluster) writeNodeConfig(n *CHNode, zkPort int) error {
	for _, d := range []string{n.dir, filepath.Join(n.dir, "data"), filepath.Join(n.dir, "log")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("configuring clickhouse-server %s: %w", n.Name(), err)
		}
	}
	x := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	var shards strings.Builder
	for s := 1; ; s++ {
		var reps []*CHNode
		for _, m := range c.nodes {
			if m.Shard == s {
				reps = append(reps, m)
			}
		}
		if len(reps) == 0 {
			break
		}
		shards.WriteString("            <shard>\n                <internal_replication>true</internal_replication>\n")
		for _, m := range reps {
			fmt.Fprintf(&shards, "                <replica><host>127.0.0.1</host><port>%d</port></replica>\n", m.tcp)
		}
		shards.WriteString("            </shard>\n")
	}
	data := filepath.Join(n.dir, "data") + "/"
	logs := filepath.Join(n.dir, "log")
	users := filepath.Join(n.dir, "users.xml")
	cfg := fmt.Sprintf(clusterNodeConfig,
		x(filepath.Join(logs, "server.log")), x(filepath.Join(logs, "server.err.log")),
		n.tcp, n.http, n.ics,
		x(data), x(data+"tmp/"), x(data+"user_files/"), x(data+"format_schemas/"), x(users),
		ClusterName, shards.String(), ClusterName,
		zkPort, n.Shard, n.Name())
	if err := os.WriteFile(filepath.Join(n.dir, "config.xml"), []byte(cfg), 0o640); err != nil {
		return fmt.Errorf("configuring clickhouse-server %s: %w", n.Name(), err)
	}
	if err := os.WriteFile(users, []byte(clusterUsersXML), 0o640); err != nil {
		return fmt.Errorf("configuring clickhouse-server %s: %w", n.Name(), err)
	}
	return nil
}

// clusterNodeConfig is one node's configuration. Arguments: log, error log,
// native, HTTP and interserver ports, data, tmp, user files and format
// schema paths, users file, cluster name, its shards, cluster name again,
// zookeeper port, the node's shard and replica macros.
const clusterNodeConfig = `<?xml version="1.0"?>
<!-- Written by counternet's tests (internal/testenv/chcluster.go). -->
<yandex>
    <logger>
        <level>warning</level>
        <log>%s</log>
        <errorlog>%s</errorlog>
        <size>100M</size>
        <count>2</count>
        <console>0</console>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>%d</tcp_port>
    <http_port>%d</http_port>
    <interserver_http_port>%d</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <mark_cache_size>67108864</mark_cache_size>
    <path>%s</path>
    <tmp_path>%s</tmp_path>
    <user_files_path>%s</user_files_path>
    <format_schema_path>%s</format_schema_path>
    <users_config>%s</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <remote_servers>
        <%s>
%s        </%s>
    </remote_servers>
    <zookeeper>
        <node><host>127.0.0.1</host><port>%d</port></node>
        <session_timeout_ms>15000</session_timeout_ms>
    </zookeeper>
    <macros>
        <shard>%d</shard>
        <replica>%s</replica>
    </macros>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
</yandex>
`

// clusterUsersXML allows the default user without a password from
// loopback: the nodes reach each other as it.
const clusterUsersXML = `<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>8000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>in_order</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`
