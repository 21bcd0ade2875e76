ATTACH TABLE schema_migrations
(
    version UInt32, 
    name String, 
    applied_at DateTime
)
ENGINE = ReplacingMergeTree
ORDER BY version
SETTINGS index_granularity = 8192
