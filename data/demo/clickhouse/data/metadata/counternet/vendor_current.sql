ATTACH VIEW vendor_current
(
    source String, 
    handle String, 
    event_id String, 
    mirror String, 
    url String, 
    profile_url String, 
    pgp_fingerprints Array(String), 
    rating Float64, 
    sales Int64, 
    joined String, 
    ships_from String, 
    ships_from_raw String, 
    contacts Array(String), 
    crypto_chains Array(String), 
    crypto_addresses Array(String), 
    flags Array(String), 
    capture_sha256 String, 
    pipeline String, 
    run_id String, 
    first_seen DateTime, 
    last_seen DateTime, 
    observations UInt64
) AS
SELECT 
    source, 
    handle, 
    argMax(event_id, observed_at) AS event_id, 
    argMax(mirror, observed_at) AS mirror, 
    argMax(url, observed_at) AS url, 
    argMax(profile_url, observed_at) AS profile_url, 
    argMax(pgp_fingerprints, observed_at) AS pgp_fingerprints, 
    argMax(rating, observed_at) AS rating, 
    argMax(sales, observed_at) AS sales, 
    argMax(joined, observed_at) AS joined, 
    argMax(ships_from, observed_at) AS ships_from, 
    argMax(ships_from_raw, observed_at) AS ships_from_raw, 
    argMax(contacts, observed_at) AS contacts, 
    argMax(crypto_chains, observed_at) AS crypto_chains, 
    argMax(crypto_addresses, observed_at) AS crypto_addresses, 
    argMax(flags, observed_at) AS flags, 
    argMax(capture_sha256, observed_at) AS capture_sha256, 
    argMax(pipeline, observed_at) AS pipeline, 
    argMax(run_id, observed_at) AS run_id, 
    min(observed_at) AS first_seen, 
    max(observed_at) AS last_seen, 
    uniqExact(obs_event_id) AS observations
FROM 
(
    SELECT 
        *, 
        event_id AS obs_event_id
    FROM counternet.vendor_obs 
) 
GROUP BY 
    source, 
    handle
