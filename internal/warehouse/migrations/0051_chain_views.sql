-- 0051_chain_views: analysis of the chain data in SQL.
--
-- Views are only created (IF NOT EXISTS): some read others. Inner queries
-- rename the columns they aggregate, because ClickHouse 18.16 substitutes an
-- output alias into any expression naming a column of the same name. Reads
-- of chain_address_io group by its key and take argMax(x, fetched_at), so
-- a row fetched twice and not yet merged counts once, with its newest
-- values.

-- chain_coinjoins: CoinJoin-shaped transactions (at least three distinct
-- input addresses and at least three outputs of one equal value; rule in
-- chain.CoinJoinShape). They never merge clusters and flows stop at them.
--   chain             btc
--   txid              the transaction
--   block_height      height of the block it was mined in
--   block_time        time of that block (UTC)
--   input_addresses   distinct input addresses
--   outputs           outputs
--   equal_outputs     outputs sharing the most common value
--   equal_value       that value
--   input_value       sum of the inputs
CREATE VIEW IF NOT EXISTS chain_coinjoins AS
SELECT chain, txid,
    argMax(block_height, fetched_at) AS block_height,
    argMax(block_time, fetched_at) AS block_time,
    argMax(input_addresses, fetched_at) AS input_addresses,
    argMax(outputs, fetched_at) AS outputs,
    argMax(equal_outputs, fetched_at) AS equal_outputs,
    argMax(equal_value, fetched_at) AS equal_value,
    argMax(input_value, fetched_at) AS input_value
FROM chain_txs
WHERE coinjoin = 1
GROUP BY chain, txid;

-- chain_address_tags: every attribution tag of an address: the tag files'
-- (chain_tags) and, automatically, every address our own collection saw,
-- tagged with tag_source 'web crawl' and confidence low: category vendor
-- for an address on a listing or vendor profile (label market:vendor),
-- forum for one in a forum post (label forum:author).
--   chain             btc, xmr, ...
--   address           the address
--   scope             address, or cluster (the tag reaches its whole cluster, see chain_address_labels)
--   label             service or actor
--   category          exchange, mixer, market, vendor, forum, ...
--   tag_source        where the attribution comes from ('web crawl' for our own collection)
--   confidence        high, medium, low
--   jurisdiction      ISO 3166-1 alpha-2 country of the service ('' when unknown)
--   evidence          the tag's note, or for web crawl where it was seen and the page's SHA-256
CREATE VIEW IF NOT EXISTS chain_address_tags AS
SELECT chain, address, scope, label, category, tag_source, confidence, jurisdiction, evidence
FROM
(
    SELECT chain, address, 'address' AS scope, concat(source, ':', actor) AS label,
        if(kind = 'post', 'forum', 'vendor') AS category, 'web crawl' AS tag_source, 'low' AS confidence,
        '' AS jurisdiction,
        concat(kind, ' ', ref, ' on ', source, ', seen ', toString(first_seen), ' to ', toString(last_seen),
            ', capture ', last_capture_sha256) AS evidence
    FROM crypto_addresses_seen
    UNION ALL
    SELECT chain, address, scope, label, category, source AS tag_source, confidence, jurisdiction, note AS evidence
    FROM chain_tags
);

-- chain_address_labels: the tags reaching each address: its own, and those
-- of scope cluster on another address of its cluster (chain_clusters).
--   chain             btc, ...
--   address           the address
--   label             label of the tag (see chain_address_tags)
--   category          category of the tag
--   tag_source        where the tag comes from
--   confidence        how sure the tag is
--   jurisdiction      country of the tagged service
--   evidence          what the tag rests on, as its file states
--   via               address (its own tag) or cluster (the tag of another member)
--   tagged_address    the address the tag is on
CREATE VIEW IF NOT EXISTS chain_address_labels AS
SELECT chain, address, label, category, tag_source, confidence, jurisdiction, evidence, via, tagged_address
FROM
(
    SELECT chain, address, label, category, tag_source, confidence, jurisdiction, evidence,
        'address' AS via, address AS tagged_address
    FROM chain_address_tags
    UNION ALL
    SELECT chain, member AS address, label, category, tag_source, confidence, jurisdiction, evidence,
        'cluster' AS via, tagged AS tagged_address
    FROM
    (
        SELECT chain, cid, tagged, label, category, tag_source, confidence, jurisdiction, evidence
        FROM
        (
            SELECT chain, address AS tagged, label, category, tag_source, confidence, jurisdiction, evidence
            FROM chain_address_tags
            WHERE scope = 'cluster'
        )
        ALL INNER JOIN
        (
            SELECT chain, address AS tagged, cluster_id AS cid FROM chain_clusters
        ) USING (chain, tagged)
    )
    ALL INNER JOIN
    (
        SELECT chain, cluster_id AS cid, address AS member FROM chain_clusters
    ) USING (chain, cid)
    WHERE member != tagged
);

-- chain_vendor_addresses: the addresses of each vendor identity: those seen
-- on its listings and profile, and the other members of their clusters.
--   source            market
--   vendor            vendor handle
--   chain             btc, ...
--   address           the address
--   seen              1 when the collectors saw this address on the vendor's pages
--   seen_via          the seen addresses that brought it in (itself, or cluster mates)
CREATE VIEW IF NOT EXISTS chain_vendor_addresses AS
SELECT source, vendor, chain, a AS address, max(is_seen) AS seen, arraySort(groupUniqArray(seen_address)) AS seen_via
FROM
(
    SELECT source, vendor, chain, seen_address, if(member = '', seen_address, member) AS a,
        if(member = '' OR member = seen_address, 1, 0) AS is_seen
    FROM
    (
        SELECT source, vendor, chain, seen_address, cid
        FROM
        (
            SELECT source, actor AS vendor, chain, address AS seen_address
            FROM crypto_addresses_seen
            WHERE kind IN ('listing', 'vendor') AND actor != ''
            GROUP BY source, vendor, chain, seen_address
        )
        ANY LEFT JOIN
        (
            SELECT chain, address AS seen_address, cluster_id AS cid FROM chain_clusters
        ) USING (chain, seen_address)
    )
    ALL LEFT JOIN
    (
        SELECT chain, cluster_id AS cid, address AS member FROM chain_clusters
    ) USING (chain, cid)
)
GROUP BY source, vendor, chain, address;

-- chain_address_activity: per address synced, what it received and spent.
--   chain             btc
--   address           the address
--   txs               distinct transactions
--   received          sum of the outputs paid to it
--   spent             sum of its outputs spent
--   balance           received - spent (of the transactions synced)
--   first_activity    block time of its first transaction
--   last_activity     block time of its last transaction
--   unconfirmed       transactions not yet in a block
CREATE VIEW IF NOT EXISTS chain_address_activity AS
SELECT chain, address,
    uniqExact(txid) AS txs,
    sumIf(v, dir = 'receive') AS received,
    sumIf(v, dir = 'spend') AS spent,
    received - spent AS balance,
    minIf(t, conf = 1) AS first_activity,
    maxIf(t, conf = 1) AS last_activity,
    uniqExactIf(txid, conf = 0) AS unconfirmed
FROM
(
    SELECT chain, address, txid, direction AS dir, n,
        argMax(value, fetched_at) AS v, argMax(block_time, fetched_at) AS t, argMax(confirmed, fetched_at) AS conf
    FROM chain_address_io
    GROUP BY chain, address, txid, dir, n
)
GROUP BY chain, address;

-- chain_vendor_summary: per vendor identity, what its addresses (seen and
-- clustered, see chain_vendor_addresses) did on chain and which services
-- the flows (chain_flows) reach. Traced chains only (btc); a vendor's
-- Monero addresses are in chain_untraced_addresses.
--   source            market
--   vendor            vendor handle
--   chain             btc
--   addresses         addresses of the vendor (seen and cluster members)
--   seen_addresses    of those, seen by the collectors
--   txs               transactions touching them
--   received          total received: outputs paid to them by transactions that spend none of them (change excluded)
--   received_txs      transactions that paid them
--   sent              total sent: what they spent minus change paid back to them
--   first_activity    block time of the first of those transactions
--   last_activity     block time of the last of those transactions
--   services_out      labels of tagged services its outgoing flows reach
--   services_in       labels of tagged services paying it (markets, ...)
--   jurisdictions     jurisdictions of the services its flows reach, either way
--   to_services       value of the outputs reaching tagged services (outgoing flows)
--   coinjoins         CoinJoin-shaped transactions its outgoing flows meet
CREATE VIEW IF NOT EXISTS chain_vendor_summary AS
SELECT source, vendor, chain, addresses, seen_addresses, txs, received, received_txs, sent,
    first_activity, last_activity, services_out, services_in, jurisdictions, to_services, coinjoins
FROM
(
    SELECT source, vendor, chain, addresses, seen_addresses, txs, received, received_txs, sent,
        first_activity, last_activity
    FROM
    (
        SELECT source, vendor, chain, count() AS addresses, sum(seen) AS seen_addresses
        FROM chain_vendor_addresses
        WHERE chain = 'btc'
        GROUP BY source, vendor, chain
    )
    ANY LEFT JOIN
    (
        SELECT source, vendor, chain,
            count() AS txs,
            sumIf(recv, snt = 0) AS received,
            countIf(recv > 0 AND snt = 0) AS received_txs,
            sumIf(snt - recv, snt > 0) AS sent,
            min(at) AS first_activity,
            max(at) AS last_activity
        FROM
        (
            SELECT source, vendor, chain, txid, sumIf(v, dir = 'receive') AS recv, sumIf(v, dir = 'spend') AS snt, max(t) AS at
            FROM
            (
                SELECT chain, address, txid, direction AS dir, n, argMax(value, fetched_at) AS v, argMax(block_time, fetched_at) AS t
                FROM chain_address_io
                WHERE address IN (SELECT address FROM chain_vendor_addresses)
                GROUP BY chain, address, txid, dir, n
            )
            ALL INNER JOIN
            (
                SELECT source, vendor, chain, address FROM chain_vendor_addresses
            ) USING (chain, address)
            GROUP BY source, vendor, chain, txid
        )
        GROUP BY source, vendor, chain
    ) USING (source, vendor, chain)
)
ANY LEFT JOIN
(
    SELECT source, vendor, chain,
        arraySort(groupUniqArrayIf(label, direction = 'out' AND endpoint = 'service')) AS services_out,
        arraySort(groupUniqArrayIf(label, direction = 'in' AND endpoint = 'service')) AS services_in,
        arraySort(groupUniqArrayIf(jurisdiction, endpoint = 'service' AND jurisdiction != '')) AS jurisdictions,
        sumIf(value, direction = 'out' AND endpoint = 'service') AS to_services,
        uniqExactIf(txid, endpoint = 'coinjoin') AS coinjoins
    FROM chain_flows
    GROUP BY source, vendor, chain
) USING (source, vendor, chain);

-- chain_untraced_addresses: addresses of chains that are recorded and
-- linked across vendors and markets but never traced: Monero hides amounts
-- and counterparts on chain, so no flow, cluster or balance is claimed for
-- them; other chains (eth, ltc) have no chain source yet.
--   address           the address
--   chain             xmr, eth, ltc
--   vendors           distinct market:vendor that showed it
--   markets           markets it was shown on
--   first_seen        earliest sighting
--   last_seen         latest sighting
--   traced            always 0
--   why               why it is not traced
CREATE VIEW IF NOT EXISTS chain_untraced_addresses AS
SELECT address, c AS chain,
    arraySort(groupUniqArrayIf(concat(s, ':', a), k != 'post' AND a != '')) AS vendors,
    arraySort(groupUniqArrayIf(s, k != 'post')) AS markets,
    min(fs) AS first_seen,
    max(ls) AS last_seen,
    toUInt8(0) AS traced,
    if(c = 'xmr', 'Monero hides amounts and counterparts on chain: recorded and linked, no tracing claimed',
        'no chain source for this chain: recorded and linked, not traced') AS why
FROM
(
    SELECT address, chain AS c, source AS s, kind AS k, actor AS a, first_seen AS fs, last_seen AS ls
    FROM crypto_addresses_seen
    WHERE chain != 'btc'
)
GROUP BY address, chain;
