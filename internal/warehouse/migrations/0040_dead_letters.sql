-- 0040_dead_letters: messages the loader could not load, with the reason.
--
-- The loader publishes every such message to the JetStream stream
-- INTEL_DEAD (the whole message, with the reason in the Counternet-Reason
-- header) and records it here, then terminates it on the event stream. One
-- row per dead-lettered message; a message dead-lettered twice (a loader
-- killed between recording and terminating it) has the same (stream,
-- stream_seq) and collapses in merges, so exact counts use FINAL.
--   stream             event stream the message came from (INTEL)
--   stream_seq         its sequence number in that stream
--   subject            subject it was published on (intel.v1.<type>.<source>)
--   reason             why it could not be loaded: "invalid event: ...",
--                      "unknown schema ...", a failed validation, an oversize message
--   schema             value of its "schema" field when that could be read, else ''
--   event_id           value of its "event_id" field when that could be read, else ''
--   received_at        when JetStream stored it (UTC)
--   payload            its first 8 KiB, as received (UTF-8 not guaranteed)
--   payload_bytes      its full size in bytes
--   payload_truncated  1 when payload holds only the first 8 KiB
--   dead_subject       subject of its copy on INTEL_DEAD (intel.dead.<subject>)
--   inserted_at        when the row reached the warehouse
CREATE TABLE IF NOT EXISTS dead_letters
(
    stream String,
    stream_seq UInt64,
    subject String,
    reason String,
    schema String,
    event_id String,
    received_at DateTime,
    payload String,
    payload_bytes UInt64,
    payload_truncated UInt8,
    dead_subject String,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (stream, stream_seq);
