-- 0080_dead_letter_events: two bad events of one envelope are two dead_letters rows.
--
-- An envelope is one message (one stream_seq) holding many events; each of its bad events is
-- dead-lettered alone. Keyed on (stream, stream_seq) only, two of them collapsed into one row in
-- merges. The event's position in its envelope joins the sorting key, so each keeps its row and
-- a dead letter recorded twice still collapses. ClickHouse 18.16 adds a column to the sorting key
-- only in the ALTER that creates it, and only without a default expression (0 is its default).

-- dead_letters: the event's position in its envelope.
--   envelope_event     for one event of an envelope, its position there from 1 (the
--                      reason names the envelope); 0 for a message dead-lettered whole
ALTER TABLE dead_letters ADD COLUMN envelope_event UInt32
    , MODIFY ORDER BY (stream, stream_seq, envelope_event);
