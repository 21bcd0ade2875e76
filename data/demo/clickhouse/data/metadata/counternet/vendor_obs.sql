ATTACH TABLE vendor_obs
(
    event_id String, 
    source String, 
    mirror String, 
    url String, 
    handle String, 
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
    observed_at DateTime, 
    capture_sha256 String, 
    pipeline String, 
    run_id String, 
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (source, handle, observed_at, event_id)
SETTINGS index_granularity = 8192
