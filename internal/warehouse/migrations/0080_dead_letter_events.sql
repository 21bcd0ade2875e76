-- 0080_dead_letter_events: each bad event of an envelope is a dead-letter row of its own.
--
-- dead_letters is keyed by (stream, stream_seq), and an envelope is one message: two bad events
-- of one envelope collapsed into one row there in merges. ClickHouse 18.16 cannot change the
-- sorting key of a table ON CLUSTER (ALTER ... MODIFY ORDER BY is refused there), so from this
-- migration on the loader records every dead letter in dead_letter_events as well, keyed also by
-- the event's position in its envelope; dead_letters keeps its key and gets the same rows as
-- before. Exact counts of dead-lettered events use dead_letter_events FINAL.

-- dead_letter_events: every dead letter recorded since migration 0080, one row per message
-- dead-lettered whole and one per bad event of an envelope; recorded twice, a row collapses.
--   stream             event stream the message came from (INTEL)
--   stream_seq         its sequence number in that stream (of the envelope, for an event in one)
--   envelope_event     for one event of an envelope, its position there from 1; 0 for a message
--                      dead-lettered whole
--   envelope           for one event of an envelope, the envelope's id; '' otherwise
--   subject            subject it was published on
--   reason             why it could not be loaded (for an event of an envelope, naming the
--                      event's position and the envelope)
--   schema             value of its "schema" field when that could be read, else ''
--   event_id           value of its "event_id" field when that could be read, else ''
--   received_at        when JetStream stored the message (UTC)
--   payload            its first 8 KiB (the event alone, for an event of an envelope)
--   payload_bytes      its full size in bytes
--   payload_truncated  1 when payload holds only the first 8 KiB
--   dead_subject       subject of its copy on INTEL_DEAD (intel.dead.<subject>)
--   inserted_at        when the row reached the warehouse
CREATE TABLE IF NOT EXISTS dead_letter_events
(
    stream String,
    stream_seq UInt64,
    envelope_event UInt32,
    envelope String,
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
ORDER BY (stream, stream_seq, envelope_event);
