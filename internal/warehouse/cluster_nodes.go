package warehouse

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// clusterNodes runs the ALTERs of replicated tables that the cluster
// renderer scoped (scopeShard, scopeAll) on single nodes, without ON
// CLUSTER: on one replica of every shard, or on one node, connecting to
// each as MigrateOptions.NodeDSN says. ReplicatedMergeTree replicates an
// ALTER to the other replicas of its table and waits for them, so the
// effect is that of the ON CLUSTER statement, without 18.16's distributed
// DDL race between replicas of one shard.
type clusterNodes struct {
	db       *DB
	renderer *clusterRenderer
	cluster  string
	dsn      func(addr string) string

	shards []*DB // one node of each shard, in shard order; opened at first use
}

// open connects to the first replica of every shard of the cluster, as
// system.clusters lists them.
func (n *clusterNodes) open(ctx context.Context) error {
	if n.shards != nil {
		return nil
	}
	rows, err := n.db.conn.Query(ctx, "SELECT shard_num, host_name, port FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num", n.cluster)
	if err != nil {
		return fmt.Errorf("listing the nodes of cluster %s: %w", n.cluster, err)
	}
	defer rows.Close()
	var addrs []string
	last := uint32(0)
	for rows.Next() {
		var (
			shard uint32
			host  string
			port  uint16
		)
		if err := rows.Scan(&shard, &host, &port); err != nil {
			return fmt.Errorf("listing the nodes of cluster %s: %w", n.cluster, err)
		}
		if shard != last {
			addrs = append(addrs, net.JoinHostPort(host, strconv.Itoa(int(port))))
			last = shard
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("listing the nodes of cluster %s: %w", n.cluster, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("cluster %s: system.clusters lists no node (remote_servers)", n.cluster)
	}
	for _, a := range addrs {
		node, err := Open(ctx, n.dsn(a), n.db.log)
		if err != nil {
			n.close()
			return fmt.Errorf("connecting to node %s of cluster %s: %w", a, n.cluster, err)
		}
		n.shards = append(n.shards, node)
	}
	return nil
}

// exec runs a scoped statement without its ON CLUSTER clause where its
// scope says.
func (n *clusterNodes) exec(ctx context.Context, stmt string) error {
	if err := n.open(ctx); err != nil {
		return err
	}
	local := strings.Replace(stmt, n.renderer.on(), "", 1)
	targets := n.shards
	if n.renderer.scopes[stmt] == scopeAll {
		targets = n.shards[:1]
	}
	for _, node := range targets {
		if err := node.execIdempotent(ctx, local); err != nil {
			return err
		}
	}
	return nil
}

func (n *clusterNodes) close() {
	for _, node := range n.shards {
		node.Close()
	}
	n.shards = nil
}
