-- 0003_posts: forum posts.

-- post_obs: one row per observation of a forum post, kept like the other
-- observation tables (every observation, duplicates of an event_id collapse).
--   event_id          deterministic event id
--   source            forum id from the site file
--   mirror            onion host the page was fetched from
--   url               page the post was seen on
--   forum             the forum id again, always equal to source (the board the thread is in is in board)
--   thread_id         the forum's own id of the thread
--   thread_title      thread title (bounded)
--   post_id           the forum's own id of the post
--   author            author handle on that forum
--   posted_at         when the forum says the post was written (UTC; 1970-01-01 when unknown)
--   posted_raw        the post date as shown
--   body              post text (bounded; flags has body:truncated when cut)
--   markets           market ids or names the post mentions
--   vendors           vendor handles the post mentions
--   onions            onion addresses the post mentions (v3 hosts)
--   crypto_chains     chain of each crypto address, parallel to crypto_addresses
--   crypto_addresses  checksummed crypto addresses in the post
--   pgp_fingerprints  fingerprints of PGP keys in the post (upper-case hex)
--   flags             fields that did not normalize, texts that were cut
--   observed_at       capture time of the page (UTC)
--   capture_sha256    SHA-256 of the captured page (evidence, see captures)
--   pipeline          site file name@version that extracted the record
--   run_id            crawl run that saw it (see runs)
--   inserted_at       when the row reached the warehouse
CREATE TABLE IF NOT EXISTS post_obs
(
    event_id String,
    source String,
    mirror String,
    url String,
    forum String,
    thread_id String,
    thread_title String,
    post_id String,
    author String,
    posted_at DateTime,
    posted_raw String,
    body String,
    markets Array(String),
    vendors Array(String),
    onions Array(String),
    crypto_chains Array(String),
    crypto_addresses Array(String),
    pgp_fingerprints Array(String),
    flags Array(String),
    observed_at DateTime,
    capture_sha256 String,
    pipeline String,
    run_id String,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (source, thread_id, post_id, observed_at, event_id);
