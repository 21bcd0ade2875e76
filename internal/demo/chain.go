package demo

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/internal/chain"
	"github.com/counternet/counternet/internal/chain/esplorasim"
	"github.com/counternet/counternet/internal/fixture"
)

// chainHops is how far beyond the vendors' addresses the demo's chain sync
// follows counterparts: far enough to reach the exchanges' hot wallets and
// their consolidations, which put the deposit addresses in their clusters.
const chainHops = 3

// ChainServer serves the fixture chain as an Esplora REST API on loopback,
// the chain source of the demo's chain step.
type ChainServer struct {
	Chain *fixture.Chain
	srv   *http.Server
	addr  string
	done  chan error
}

// startChainServer generates the fixture chain of w and serves it.
func startChainServer(w *fixture.World) (*ChainServer, error) {
	c := w.Chain()
	mem, err := esplorasim.NewMemory("demo-fixture-chain", c.Txs)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the fixture chain's esplora server: %w", err)
	}
	s := &ChainServer{Chain: c, addr: ln.Addr().String(), done: make(chan error, 1),
		srv: &http.Server{Handler: esplorasim.Handler(mem, 25), ReadHeaderTimeout: 10 * time.Second}}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Len is the number of transactions of the fixture chain.
func (s *ChainServer) Len() int { return len(s.Chain.Txs) }

// URL is the Esplora API base URL (http://127.0.0.1:port/api).
func (s *ChainServer) URL() string { return "http://" + s.addr + "/api" }

// Close stops the server.
func (s *ChainServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done // http.ErrServerClosed, or the listener's failure: nothing is left to stop either way
}

// ChainReport is what the demo's chain step did.
type ChainReport struct {
	Sync     chain.SyncReport
	Tags     int
	Clusters int
	Flows    int
}

// TagDir is the directory of the demo's tag file (<data_dir>/chain-tags),
// which `counternet chain sync --tags` takes.
func (e *Env) TagDir() string { return filepath.Join(e.Stack.Cfg.DataDir, "chain-tags") }

// writeTags writes the fixture exchanges' tags as a tag file in dir.
func writeTags(dir string, tags []chain.Tag) error {
	b, err := yaml.Marshal(struct {
		Tags []chain.Tag `yaml:"tags"`
	}{tags})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	head := "# Tags of the counternet demo's fixture chain: invented exchanges, not intelligence.\n"
	return os.WriteFile(filepath.Join(dir, "fixture-exchanges.yaml"), append([]byte(head), b...), 0o644)
}

// chainSourceName names the fixture chain's source in the sources file.
const chainSourceName = "demo-esplora"

// SourcesFile is the chain sources file naming the fixture chain's Esplora
// server (<data_dir>/chain-sources.yaml), which `counternet chain sync
// --sources` takes.
func (e *Env) SourcesFile() string { return filepath.Join(e.Stack.Cfg.DataDir, "chain-sources.yaml") }

// writeSources writes the sources file: the fixture chain's server on
// loopback, asked as fast as it answers.
func (e *Env) writeSources() error {
	text := fmt.Sprintf(`# The counternet demo's chain source: its fixture chain served as Esplora on loopback
# (only while the demo runs).
sources:
  - name: %s
    chain: btc
    kind: esplora
    url: %s
    rate: 2000
    concurrency: 4
`, chainSourceName, e.ChainServer.URL())
	return os.WriteFile(e.SourcesFile(), []byte(text), 0o644)
}

// SyncChain is the demo's chain step, as `counternet chain sync --sources
// FILE --tags DIR` runs it: it syncs the transactions of the Bitcoin
// addresses the collectors saw, and up to chainHops beyond, from the
// fixture chain's Esplora server through the real Esplora client, loads
// the fixture exchanges' tags from the tag file it writes, and recomputes
// clusters and flows.
func (e *Env) SyncChain(ctx context.Context) (*ChainReport, error) {
	if err := writeTags(e.TagDir(), e.ChainServer.Chain.Tags); err != nil {
		return nil, fmt.Errorf("demo: writing the fixture chain's tags: %w", err)
	}
	if err := e.writeSources(); err != nil {
		return nil, fmt.Errorf("demo: writing the chain sources file: %w", err)
	}
	conf, err := chain.LoadConfig(e.SourcesFile())
	if err != nil {
		return nil, err
	}
	sc, err := conf.Lookup(chainSourceName)
	if err != nil {
		return nil, err
	}
	src, err := chain.New(sc, nil, e.log)
	if err != nil {
		return nil, err
	}
	db := e.Stack.DB
	rep := &ChainReport{}
	rep.Sync, err = (&chain.Syncer{Source: src, Store: db.Chain(), Log: e.log}).Sync(ctx, chain.SyncOptions{Hops: chainHops})
	if err != nil {
		return rep, fmt.Errorf("demo chain sync: %w", err)
	}
	tags, err := chain.LoadTags(e.TagDir())
	if err != nil {
		return rep, err
	}
	if err := db.LoadChainTags(ctx, tags); err != nil {
		return rep, err
	}
	rep.Tags = len(tags)
	st, err := db.RefreshChainClusters(ctx)
	if err != nil {
		return rep, err
	}
	rep.Clusters = st.Clusters
	if rep.Flows, err = db.RefreshChainFlows(ctx, chain.ChainBitcoin, chain.FlowOptions{Hops: chain.DefaultFlowHops}); err != nil {
		return rep, err
	}
	return rep, nil
}
