-- 0008_vendor_clusters: vendor identity clusters.

-- vendor_clusters: connected components of vendor identities over strong
-- links (shared PGP fingerprint or shared crypto address, see vendor_links).
-- ClickHouse 18.16 has no recursive queries, so warehouse.RefreshVendorClusters
-- computes the components in Go (union-find over the strong links) and
-- replaces the table's content; `counternet query vendor-clusters` refreshes
-- it before reading. Identities without a strong link are absent.
--   cluster_id    the smallest member of the cluster as source:handle
--   source        market id of the member
--   handle        vendor handle of the member
--   size          members in the cluster
--   links         strong links inside the cluster
--   markets       distinct markets in the cluster
--   computed_at   when the clusters were computed
CREATE TABLE IF NOT EXISTS vendor_clusters
(
    cluster_id String,
    source String,
    handle String,
    size UInt32,
    links UInt32,
    markets UInt32,
    computed_at DateTime
)
ENGINE = MergeTree
ORDER BY (cluster_id, source, handle);
