ATTACH TABLE captures
(
    event_id String, 
    source String, 
    url String, 
    fetched_at DateTime, 
    status UInt16, 
    outcome String, 
    bytes Int64, 
    sha256 String, 
    content_type String, 
    page_kind String, 
    records UInt32, 
    run_id String, 
    error String, 
    duration_ms Int64, 
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(fetched_at)
ORDER BY (source, fetched_at, event_id)
SETTINGS index_granularity = 8192
