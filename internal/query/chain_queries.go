package query

// chainQueries are the saved queries over the chain tables (package chain,
// migrations 0050-0051). chain_clusters and chain_flows are recomputed by
// `counternet chain sync` and `counternet chain analyze`.
var chainQueries = []Query{
	{
		Name:        "chain-vendor-summary",
		Description: "per vendor: BTC received and sent (satoshi), first and last activity, services its flows reach and their jurisdictions",
		Params:      []Param{{Name: "handle", Type: String, Default: "", Doc: "vendor handle (case-insensitive); empty for all"}, pLimit},
		SQL: `SELECT source AS market, vendor, addresses, seen_addresses, received, received_txs, sent,
    first_activity, last_activity, services_out, services_in, jurisdictions, to_services, coinjoins
FROM chain_vendor_summary
WHERE @handle = '' OR lower(vendor) = lower(@handle)
ORDER BY received DESC, market, vendor
LIMIT @limit`,
	},
	{
		Name:        "chain-flows-to-services",
		Description: "flows from vendors' addresses to tagged services: hops, amounts (satoshi), times, the service and its jurisdiction",
		Params: []Param{{Name: "handle", Type: String, Default: "", Doc: "vendor handle (case-insensitive); empty for all"},
			{Name: "country", Type: Country, Default: "", Doc: "jurisdiction of the service; empty for all"}, pLimit},
		SQL: `SELECT source AS market, vendor, hop, label AS service, category, jurisdiction, confidence, tag_source,
    to_address AS deposit_address, txid, value, block_time, path, origin_address
FROM chain_flows
WHERE direction = 'out' AND endpoint = 'service'
    AND (@handle = '' OR lower(vendor) = lower(@handle)) AND (@country = '' OR jurisdiction = @country)
ORDER BY market, vendor, block_time, hop, txid
LIMIT @limit`,
	},
	{
		Name:        "chain-inflows",
		Description: "who paid a vendor: payers by hop, tagged payers (markets, services) first, amounts (satoshi) and times",
		Params:      []Param{{Name: "handle", Type: String, Required: true, Doc: "vendor handle (case-insensitive)"}, pLimit},
		SQL: `SELECT source AS market, vendor, hop, from_address AS payer, label AS payer_label, category, jurisdiction,
    to_address, txid, value, block_time, endpoint
FROM chain_flows
WHERE direction = 'in' AND lower(vendor) = lower(@handle)
ORDER BY endpoint = 'service' DESC, hop, block_time, txid
LIMIT @limit`,
	},
	{
		Name:        "chain-address",
		Description: "one address on chain: activity, cluster, tags reaching it, sync state",
		Params:      []Param{{Name: "address", Type: String, Required: true, Doc: "the address"}},
		SQL: `SELECT a.address, txs, received, spent, balance, first_activity, last_activity, unconfirmed,
    cluster_id, cluster_size, labels
FROM
(
    SELECT address, txs, received, spent, balance, first_activity, last_activity, unconfirmed, cluster_id, cluster_size
    FROM
    (
        SELECT address, txs, received, spent, balance, first_activity, last_activity, unconfirmed
        FROM chain_address_activity WHERE address = @address
    )
    ANY LEFT JOIN
    (
        SELECT address, cluster_id, size AS cluster_size FROM chain_clusters WHERE address = @address
    ) USING (address)
) AS a
ANY LEFT JOIN
(
    SELECT address, groupArray(concat(label, ' (', category, ', ', tag_source, ', ', confidence,
        if(jurisdiction = '', '', concat(', ', jurisdiction)), ', via ', via, ')')) AS labels
    FROM chain_address_labels WHERE address = @address
    GROUP BY address
) USING (address)`,
	},
	{
		Name:        "chain-cluster",
		Description: "the members of an address's common-input cluster, with their activity and tags",
		Params:      []Param{{Name: "address", Type: String, Required: true, Doc: "any address of the cluster"}},
		SQL: `SELECT address, cluster_id, txs, received, spent, first_activity, last_activity
FROM
(
    SELECT address, cluster_id FROM chain_clusters
    WHERE cluster_id IN (SELECT cluster_id FROM chain_clusters WHERE address = @address)
)
ANY LEFT JOIN chain_address_activity USING (address)
ORDER BY address`,
	},
	{
		Name:        "chain-coinjoins",
		Description: "CoinJoin-shaped transactions (kept out of clusters; flows stop there)",
		Params:      []Param{pLimit},
		SQL: `SELECT txid, block_height, block_time, input_addresses, outputs, equal_outputs, equal_value, input_value
FROM chain_coinjoins
ORDER BY block_height DESC, txid
LIMIT @limit`,
	},
	{
		Name:        "chain-untraced",
		Description: "Monero and other untraced addresses linked across vendors and markets (recorded, no tracing claimed)",
		Params:      []Param{pLimit},
		SQL: `SELECT address, chain, vendors, markets, first_seen, last_seen, why
FROM chain_untraced_addresses
ORDER BY length(vendors) DESC, address
LIMIT @limit`,
	},
	{
		Name:        "chain-sync-state",
		Description: "addresses the chain sync followed: hop, completeness, errors",
		Params:      []Param{{Name: "max_hop", Type: Int, Default: "6", Min: 0, Max: 1000, Doc: "hops at most"}, pLimit},
		SQL: `SELECT address, argMax(hop, synced_at) AS h, argMax(complete, synced_at) AS complete_history,
    argMax(new_txs, synced_at) AS last_new_txs, max(synced_at) AS last_sync, argMax(error, synced_at) AS last_error
FROM chain_sync_state
GROUP BY address
HAVING h <= @max_hop
ORDER BY h, address
LIMIT @limit`,
	},
}

func init() { saved = append(saved, chainQueries...) }
