package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of masters without replicas, joined by redis-cli.
type Cluster struct {
	Nodes []*Server
}

// Addrs returns the nodes' addresses.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr()
	}
	return out
}

// URL returns the cluster's URL for session.Connect: "redis+cluster://h1:p1,h2:p2,…".
func (c *Cluster) URL() string { return "redis+cluster://" + strings.Join(c.Addrs(), ",") }

// StartCluster starts masters cluster-enabled redis-servers, joins them with
// `redis-cli --cluster create` (the slots spread evenly over them) and waits until every node
// reports the cluster healthy.
func StartCluster(tb testing.TB, masters int) *Cluster {
	tb.Helper()
	needBinaries(tb, "redis-server", "redis-cli")
	c := &Cluster{}
	for range masters {
		c.Nodes = append(c.Nodes, start(tb, mode{cluster: true}))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.waitHealthy(ctx); err != nil {
		tb.Fatalf("redistest: %v\n%s", err, out)
	}
	return c
}

// waitHealthy waits until every node says cluster_state:ok and knows every node: only then
// does each of them route every slot.
func (c *Cluster) waitHealthy(ctx context.Context) error {
	for _, n := range c.Nodes {
		rdb := redis.NewClient(&redis.Options{Addr: n.Addr()})
		err := waitFor(ctx, func() (bool, string) {
			info, err := rdb.ClusterInfo(ctx).Result()
			if err != nil {
				return false, err.Error()
			}
			ok := strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d\r", len(c.Nodes)))
			return ok, info
		})
		_ = rdb.Close()
		if err != nil {
			return fmt.Errorf("node %s is not ready: %w", n.Addr(), err)
		}
	}
	return nil
}

// waitFor polls cond until it holds or ctx ends; the error carries cond's last detail.
func waitFor(ctx context.Context, cond func() (bool, string)) error {
	for {
		ok, detail := cond()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %s", ctx.Err(), detail)
		case <-time.After(20 * time.Millisecond): // poll interval
		}
	}
}
