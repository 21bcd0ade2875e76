-- 0050_chain: chain data synced by `counternet chain sync` (package chain).
--
-- Values are in the chain's smallest unit (satoshi for btc). Every chain
-- table is a ReplacingMergeTree keyed by the transaction id and the input
-- or output index, with fetched_at as version: a transaction fetched again
-- (first unconfirmed, then confirmed) keeps its newest row once merged.
-- Exact queries before a merge group by the key and take argMax(x,
-- fetched_at), as the chain views do. Unconfirmed transactions have
-- confirmed 0, block_height 0 and block_time 1970-01-01.

-- chain_txs: one row per transaction.
--   chain             btc
--   txid              transaction id (lower-case hex)
--   confirmed         1 when in a block
--   block_height      height of its block (0 when unconfirmed)
--   block_hash        hash of its block ('' when unconfirmed)
--   block_time        time of its block (UTC)
--   coinbase          1 for a coinbase (newly mined coins)
--   inputs            number of inputs
--   outputs           number of outputs
--   input_value       sum of the inputs' values
--   output_value      sum of the outputs' values
--   fee               input_value - output_value (0 for a coinbase)
--   input_addresses   distinct addresses among the inputs
--   equal_outputs     most outputs sharing one value
--   equal_value       that value (the largest, on a tie)
--   coinjoin          1 when CoinJoin-shaped: input_addresses >= 3 and equal_outputs >= 3 (chain.CoinJoinShape)
--   source            chain source that answered (name from the chain sources file)
--   fetched_at        when it was fetched
CREATE TABLE IF NOT EXISTS chain_txs
(
    chain String,
    txid String,
    confirmed UInt8,
    block_height UInt32,
    block_hash String,
    block_time DateTime,
    coinbase UInt8,
    inputs UInt32,
    outputs UInt32,
    input_value Int64,
    output_value Int64,
    fee Int64,
    input_addresses UInt32,
    equal_outputs UInt32,
    equal_value Int64,
    coinjoin UInt8,
    source String,
    fetched_at DateTime
)
ENGINE = ReplacingMergeTree(fetched_at)
ORDER BY (chain, txid);

-- chain_inputs: one row per input.
--   chain             chain of the spending transaction (btc, ...)
--   txid              id of the spending transaction
--   vin               input index
--   prev_txid         transaction of the spent output ('' for a coinbase)
--   prev_vout         index of the spent output
--   address           address of the spent output ('' when its script has none)
--   value             value of the spent output
--   coinbase          1 for a coinbase input
--   block_height      height of the block holding the spending transaction
--   block_time        time of that block (UTC)
--   fetched_at        when it was fetched
CREATE TABLE IF NOT EXISTS chain_inputs
(
    chain String,
    txid String,
    vin UInt32,
    prev_txid String,
    prev_vout UInt32,
    address String,
    value Int64,
    coinbase UInt8,
    block_height UInt32,
    block_time DateTime,
    fetched_at DateTime
)
ENGINE = ReplacingMergeTree(fetched_at)
ORDER BY (chain, txid, vin);

-- chain_outputs: one row per output.
--   chain             chain of the transaction (btc, ...)
--   txid              id of the transaction
--   vout              output index
--   address           receiving address ('' for scripts without one, e.g. OP_RETURN)
--   value             value
--   script_type       script type as the source names it (witness_v0_keyhash, v0_p2wpkh, ...)
--   block_height      height of the block holding the transaction
--   block_time        time of that block (UTC)
--   fetched_at        when it was fetched
CREATE TABLE IF NOT EXISTS chain_outputs
(
    chain String,
    txid String,
    vout UInt32,
    address String,
    value Int64,
    script_type String,
    block_height UInt32,
    block_time DateTime,
    fetched_at DateTime
)
ENGINE = ReplacingMergeTree(fetched_at)
ORDER BY (chain, txid, vout);

-- chain_address_io: the inputs and outputs again, sorted by address: what
-- an address received and spent, read by its primary key.
--   chain             btc
--   address           the address
--   txid              transaction
--   direction         receive (an output paid to the address) or spend (an input spending from it)
--   n                 output index (receive) or input index (spend)
--   value             value received or spent
--   confirmed         1 when the transaction is in a block
--   block_height      height of the block holding the transaction
--   block_time        time of that block (UTC)
--   fetched_at        when it was fetched
CREATE TABLE IF NOT EXISTS chain_address_io
(
    chain String,
    address String,
    txid String,
    direction String,
    n UInt32,
    value Int64,
    confirmed UInt8,
    block_height UInt32,
    block_time DateTime,
    fetched_at DateTime
)
ENGINE = ReplacingMergeTree(fetched_at)
ORDER BY (chain, address, txid, direction, n);

-- chain_sync_state: one row per address and sync (newest wins): how far the
-- sync got with it.
--   chain             btc
--   address           the address
--   hop               fewest hops from an address the collectors saw (0: seen itself)
--   source            chain source that answered
--   complete          1 when its whole history was read within the per-address bound
--                     (0: more transactions than the bound; not expanded to its counterparts)
--   new_txs           transactions that sync stored for it
--   tip_height        chain height at that sync
--   synced_at         when
--   error             why the source refused the address ('' when it did not)
CREATE TABLE IF NOT EXISTS chain_sync_state
(
    chain String,
    address String,
    hop UInt8,
    source String,
    complete UInt8,
    new_txs UInt32,
    tip_height Int64,
    synced_at DateTime,
    error String
)
ENGINE = ReplacingMergeTree(synced_at)
ORDER BY (chain, address);

-- chain_clusters: addresses grouped by the common-input-ownership heuristic
-- (all inputs of one transaction belong to one owner), leaving out
-- CoinJoin-shaped transactions. ClickHouse 18.16 has no recursive queries,
-- so warehouse.RefreshChainClusters computes the connected components in Go
-- and replaces the table's content; `counternet chain sync` and `counternet
-- chain analyze` refresh it. Addresses never spent together with another
-- are absent (their own cluster). Failure modes: see package chain.
--   chain             btc
--   cluster_id        the smallest address of the cluster
--   address           a member
--   size              addresses in the cluster
--   txs               multi-input transactions that joined it
--   computed_at       when the clusters were computed
CREATE TABLE IF NOT EXISTS chain_clusters
(
    chain String,
    cluster_id String,
    address String,
    size UInt32,
    txs UInt32,
    computed_at DateTime
)
ENGINE = MergeTree
ORDER BY (chain, address);

-- chain_tags: attribution tags from the tag files (configs/tags/*.yaml),
-- replaced at each load (`counternet chain tags`).
--   chain             btc
--   address           the tagged address
--   scope             address (this address) or cluster (every address of its cluster)
--   label             the service or actor (e.g. an exchange's name)
--   category          exchange, mixer, market, vendor, gambling, payment, service
--   source            where the attribution comes from (report, court record, own investigation)
--   confidence        high, medium or low
--   jurisdiction      ISO 3166-1 alpha-2 country of the service ('' when unknown)
--   note              free text (case reference, evidence)
--   file              tag file the tag comes from
--   line              line of that file the tag is on
--   loaded_at         when the tags were loaded
CREATE TABLE IF NOT EXISTS chain_tags
(
    chain String,
    address String,
    scope String,
    label String,
    category String,
    source String,
    confidence String,
    jurisdiction String,
    note String,
    file String,
    line UInt32,
    loaded_at DateTime
)
ENGINE = MergeTree
ORDER BY (chain, address, label);

-- chain_flows: flows from and to each vendor's addresses, traced in Go hop
-- by hop over chain_address_io and chain_outputs/chain_inputs
-- (warehouse.RefreshChainFlows, run by `counternet chain sync` and
-- `counternet chain analyze`; the content is replaced). A vendor's
-- addresses are those seen on its listings and profile and the members of
-- their clusters. Outgoing (direction out): hop 1 is an output of a
-- transaction spending from the vendor's addresses to an address outside
-- them; hop k+1 is an output of a transaction spending from a hop-k
-- address. Incoming (direction in): hop 1 is an input address of a
-- transaction paying the vendor, hop k+1 an input address of a transaction
-- paying a hop-k address. A tagged address ends its path (endpoint
-- service); a CoinJoin-shaped transaction ends it too (endpoint coinjoin):
-- nothing is traced through either.
--   chain             btc
--   source            market of the vendor
--   vendor            vendor handle
--   direction         out (from the vendor) or in (to the vendor)
--   hop               1 for a direct counterpart
--   origin_address    the vendor's address the path starts from
--   txid              transaction of this hop
--   from_address      address paying in this hop
--   to_address        address paid in this hop
--   value             value of the output of this hop (to_address's output; for direction in,
--                     the output paying from_address's side onward)
--   block_height      height of the block holding the transaction
--   block_time        time of that block (UTC)
--   path              txids from the vendor's side to this hop
--   endpoint          service (to_address, or from_address for direction in, is tagged), coinjoin, or '' (path goes on)
--   label             label of the endpoint's tag ('' when none)
--   category          category of that tag (exchange, mixer, ...; '' when none)
--   jurisdiction      country of the tagged service ('' when none or unknown)
--   confidence        how sure the tag is, as its file states ('' when none)
--   tag_source        where the tag comes from (tag file or provider; '' when none)
--   computed_at       when the flows were computed
CREATE TABLE IF NOT EXISTS chain_flows
(
    chain String,
    source String,
    vendor String,
    direction String,
    hop UInt8,
    origin_address String,
    txid String,
    from_address String,
    to_address String,
    value Int64,
    block_height UInt32,
    block_time DateTime,
    path Array(String),
    endpoint String,
    label String,
    category String,
    jurisdiction String,
    confidence String,
    tag_source String,
    computed_at DateTime
)
ENGINE = MergeTree
ORDER BY (chain, source, vendor, direction, hop, txid, to_address);
