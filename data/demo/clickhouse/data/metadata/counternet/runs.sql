ATTACH TABLE runs
(
    event_id String, 
    run_id String, 
    source String, 
    pipeline String, 
    started_at DateTime, 
    finished_at DateTime, 
    outcome String, 
    pages UInt32, 
    pages_failed UInt32, 
    listings UInt32, 
    vendors UInt32, 
    error String, 
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (source, started_at, run_id, event_id)
SETTINGS index_granularity = 8192
