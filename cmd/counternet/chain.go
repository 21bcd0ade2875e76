package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/chain"
	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/stack"
	"github.com/counternet/counternet/internal/tor"
	"github.com/counternet/counternet/internal/warehouse"
)

// defaultTagDir holds the attribution tag files.
const defaultTagDir = "configs/tags"

// sourceFlags select a chain source.
type sourceFlags struct {
	file, name, rpc, rpcUser, esplora *string
	tor                               *bool
}

func addSourceFlags(f *common) sourceFlags {
	return sourceFlags{
		file:    f.fs.String("sources", "", "chain sources file (YAML, see internal/chain.Config)"),
		name:    f.fs.String("source", "", "source name in the sources file (default: the only one)"),
		rpc:     f.fs.String("rpc", "", "JSON-RPC URL of a btcd node run with --txindex --addrindex"),
		rpcUser: f.fs.String("rpc-user", "", "RPC user (password from $COUNTERNET_CHAIN_RPC_PASSWORD)"),
		esplora: f.fs.String("esplora", "", "Esplora API base URL (e.g. http://...onion/api)"),
		tor:     f.fs.Bool("tor", false, "reach the --rpc or --esplora source through the Tor SOCKS proxy"),
	}
}

func (s sourceFlags) open(cfg *config.Config, log zerolog.Logger) (chain.Source, error) {
	var sc chain.SourceConfig
	switch {
	case *s.file != "":
		c, err := chain.LoadConfig(*s.file)
		if err != nil {
			return nil, err
		}
		if sc, err = c.Lookup(*s.name); err != nil {
			return nil, err
		}
	case *s.rpc != "":
		sc = chain.SourceConfig{Name: "rpc", Kind: chain.KindRPC, URL: *s.rpc, Tor: *s.tor}
		if *s.rpcUser != "" { // a node without RPC authentication takes no user and no password
			sc.User, sc.PasswordEnv = *s.rpcUser, "COUNTERNET_CHAIN_RPC_PASSWORD"
		}
	case *s.esplora != "":
		sc = chain.SourceConfig{Name: "esplora", Kind: chain.KindEsplora, URL: *s.esplora, Tor: *s.tor, Rate: 2}
	default:
		return nil, usageErr("no chain source: give --sources FILE, --rpc URL or --esplora URL")
	}
	var dial chain.DialFunc
	if sc.Tor {
		d := tor.NewDialer(cfg.Tor.Socks, tor.WithProxyTimeout(cfg.Tor.ConnectTimeout)).ForIdentity("chain-"+sc.Name, "")
		dial = d.DialContext
	}
	return chain.New(sc, dial, log)
}

func chainSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("chain sync", stderr)
	src := addSourceFlags(f)
	hops := f.fs.Int("hops", 2, "follow counterparts up to this many hops beyond the addresses seen (at most 6)")
	maxAddrs := f.fs.Int("max-addresses", chain.DefaultMaxAddresses, "addresses synced at most, all hops")
	maxTxs := f.fs.Int("max-txs", chain.DefaultMaxTxsPerAddress, "transactions read per address at most (more: not expanded)")
	recheck := f.fs.Duration("recheck-after", 0, "skip addresses completely synced less than this ago")
	tagDir := f.fs.String("tags", defaultTagDir, "tag files directory (skipped when missing)")
	flowHops := f.fs.Int("flow-hops", chain.DefaultFlowHops, "hops flows are traced")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	source, err := src.open(cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	s, err := f.open(ctx, stderr, stack.Need{Warehouse: true, Existing: true})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	rep, err := (&chain.Syncer{Source: source, Store: s.DB.Chain(), Log: s.Log}).Sync(ctx, chain.SyncOptions{
		Hops: *hops, MaxAddresses: *maxAddrs, MaxTxsPerAddress: *maxTxs, RecheckAfter: *recheck})
	fmt.Fprintf(stdout, "chain sync %s: %d seen addresses, %d asked (per hop %v), %d skipped, %d incomplete, %d refused; "+
		"%d transactions fetched, %d new, tip %d, %s (%.0f tx/s)\n", rep.Source, rep.Seeds, rep.Addresses, rep.PerHop,
		rep.Skipped, rep.Incomplete, rep.Failed, rep.TxsFetched, rep.TxsInserted, rep.TipHeight,
		rep.Duration.Round(time.Millisecond), rep.TxsPerSecond())
	if err != nil {
		return err
	}
	return analyzeChain(ctx, s.DB, *tagDir, *flowHops, stdout)
}

func chainAnalyze(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("chain analyze", stderr)
	tagDir := f.fs.String("tags", defaultTagDir, "tag files directory (skipped when missing)")
	flowHops := f.fs.Int("flow-hops", chain.DefaultFlowHops, "hops flows are traced")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	s, err := f.open(ctx, stderr, stack.Need{Warehouse: true, Existing: true})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	return analyzeChain(ctx, s.DB, *tagDir, *flowHops, stdout)
}

// analyzeChain loads the tag files, then recomputes clusters and flows.
func analyzeChain(ctx context.Context, db *warehouse.DB, tagDir string, flowHops int, stdout io.Writer) error {
	if _, err := os.Stat(tagDir); err == nil {
		tags, err := chain.LoadTags(tagDir)
		if err != nil {
			return err
		}
		if err := db.LoadChainTags(ctx, tags); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "tags: %d loaded from %s\n", len(tags), tagDir)
	}
	st, err := db.RefreshChainClusters(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "clusters: %d (%d addresses, largest %d) from %d multi-input transactions\n",
		st.Clusters, st.Members, st.Largest, st.Txs)
	n, err := db.RefreshChainFlows(ctx, chain.ChainBitcoin, chain.FlowOptions{Hops: flowHops})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "flows: %d hops traced (query chain-flows-to-services, chain-vendor-summary)\n", n)
	return nil
}

func chainTags(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("chain tags", stderr)
	tagDir := f.fs.String("tags", defaultTagDir, "tag files directory")
	check := f.fs.Bool("check", false, "only validate the tag files")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	tags, err := chain.LoadTags(*tagDir)
	if err != nil {
		return err
	}
	files, _ := filepath.Glob(filepath.Join(*tagDir, "*.yaml"))
	fmt.Fprintf(stdout, "%s: ok (%d files, %d tags)\n", *tagDir, len(files), len(tags))
	if *check {
		return nil
	}
	s, err := f.open(ctx, stderr, stack.Need{Warehouse: true, Existing: true})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	return s.DB.LoadChainTags(ctx, tags)
}

func chainRequest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("chain request", stderr)
	country := f.fs.String("country", "", "country hosting the services (ISO alpha-2), e.g. LT")
	requesting := f.fs.String("requesting", "", "requesting country (ISO alpha-2), e.g. DE")
	authority := f.fs.String("authority", "", "requesting authority, as it should appear")
	caseRef := f.fs.String("case", "", "case reference")
	out := f.fs.String("out", "", "write the draft to this file (default: stdout)")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	*country, *requesting = strings.ToUpper(*country), strings.ToUpper(*requesting)
	if len(*country) != 2 || len(*requesting) != 2 {
		return usageErr("--country and --requesting take ISO 3166-1 alpha-2 codes")
	}
	s, err := f.open(ctx, stderr, stack.Need{Warehouse: true, Existing: true})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	req, err := s.DB.ChainRequest(ctx, *requesting, *country)
	if err != nil {
		return err
	}
	if len(req.Flows) == 0 {
		return fmt.Errorf("no flow reaches a tagged service in %s (run counternet chain sync, then query chain-flows-to-services)", *country)
	}
	req.Authority, req.CaseRef = *authority, *caseRef
	w := stdout
	if *out != "" {
		file, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("writing draft request: %w", err)
		}
		defer file.Close()
		w = file
	}
	if err := req.WriteDraft(w); err != nil {
		return fmt.Errorf("writing draft request: %w", err)
	}
	if *out != "" {
		fmt.Fprintf(stdout, "draft request for %s written to %s (%d flows)\n", *country, *out, len(req.Flows))
	}
	return nil
}

func chainTx(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("chain tx", stderr)
	src := addSourceFlags(f)
	pos, err := parseInterspersed(f.fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("want one transaction id, got %d arguments", len(pos))
	}
	txid := pos[0]
	cfg, err := f.load()
	if err != nil {
		return err
	}
	source, err := src.open(cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	tx, err := source.Tx(ctx, txid)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s  confirmed=%v height=%d time=%s fee=%d\n", tx.TxID, tx.Confirmed, tx.BlockHeight,
		tx.BlockTime.Format(time.RFC3339), tx.Fee())
	for _, in := range tx.Inputs {
		fmt.Fprintf(stdout, "  in  %d  %s:%d  %s  %d\n", in.Index, in.PrevTxID, in.PrevVout, in.Address, in.Value)
	}
	for _, o := range tx.Outputs {
		fmt.Fprintf(stdout, "  out %d  %s  %d\n", o.Index, o.Address, o.Value)
	}
	sh := chain.CoinJoinShape(&tx)
	fmt.Fprintf(stdout, "  coinjoin-shaped=%v (input addresses %d, equal outputs %d of %d)\n", sh.CoinJoin,
		sh.InputAddresses, sh.EqualOutputs, sh.EqualValue)
	return nil
}
