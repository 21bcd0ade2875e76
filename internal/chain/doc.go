// Package chain follows the money: it reads the transactions of crypto
// addresses seen on markets, vendor pages and forum posts from a chain
// source, and syncs them, and up to N hops beyond, into the warehouse,
// where clusters, CoinJoins, attribution tags and flows to services are
// analysed in SQL.
//
// # Sources
//
// A Source answers three questions about one chain: the transactions of an
// address, one transaction by id, and the height of the chain tip. Two
// implementations speak real protocols:
//
//   - RPC: the Bitcoin Core JSON-RPC dialect. Listing an address's
//     transactions needs an address index, which Bitcoin Core lacks; btcd
//     run with --txindex --addrindex answers searchrawtransactions (with
//     the spent outputs of every input), and getrawtransaction and
//     getblockheader fill in the rest.
//   - Esplora: the REST API of Blockstream's Esplora and of electrs
//     (/address/:addr/txs, /address/:addr/txs/chain/:last_txid,
//     /tx/:txid, /blocks/tip/height).
//
// Both share one HTTP transport with the collector's manners: a minimum gap
// between requests, bounded concurrency, a timeout on every attempt, a
// bounded response size, and retries with exponential backoff and jitter on
// network errors, 429 and 5xx answers. A source can be reached through Tor
// (SourceConfig.Tor), so an explorer does not learn which addresses an
// agency is interested in from its address.
//
// # Sync
//
// Syncer.Sync reads the addresses seen (hop 0) from the store, fetches each
// one's transactions newest first and stops paging at the first
// transaction already stored as confirmed when the address's previous sync
// was complete, so a second run fetches one page per address and inserts
// nothing. Counterparts of the addresses of hop k (the other inputs and
// outputs of their transactions) are the addresses of hop k+1, up to
// SyncOptions.Hops; addresses with more than SyncOptions.MaxTxsPerAddress
// transactions (exchange hot wallets, popular services) are recorded as
// truncated and not expanded. Rows are keyed by txid and input or output
// index in ReplacingMergeTree tables, so a repeated insert collapses.
//
// # Heuristics and their failure modes
//
// Clusters follow the common-input-ownership heuristic: all inputs of one
// transaction are taken to belong to one owner. It fails, merging owners
// that are unrelated, on CoinJoins (several owners sign one transaction),
// PayJoin/P2EP (the payee adds an input: two owners, two inputs, no
// equal-value outputs, undetectable from the chain alone), custodial
// services spending customer deposits together (the whole service is one
// cluster, which is the useful answer for attribution but not for
// individual customers), and shared or stolen keys. It misses links where an
// owner never spends two addresses together, and it never follows change:
// a peel chain's change addresses stay singletons unless they are spent
// with other addresses of the owner; flows follow them instead.
//
// A transaction is CoinJoin-shaped (view chain_coinjoins) when it has at
// least three distinct input addresses and at least three outputs of one
// equal value. Such transactions never merge clusters, and flows stop at
// them. False positives are batch payouts of one amount that consolidate
// many inputs (a market paying many vendors the same sum); false negatives
// are two-party CoinJoins and PayJoins, and joins whose equal outputs number
// fewer than three.
//
// Flows are output values: the amount reported on a hop is what the output
// received, not a share of the vendor's coins in it (no taint analysis).
// Tracing through a CoinJoin, a service's wallet or beyond the hop bound is
// not attempted.
//
// Monero addresses are recorded and linked across vendors and markets by
// the warehouse views, but Monero hides amounts and counterparts on chain:
// no transaction of a Monero address is fetched and no tracing is claimed.
package chain
