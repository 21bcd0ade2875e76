-- 0120_vendor_link_scores: vendor identity resolution (counternet links build, internal/links):
-- the candidate pairs of vendor accounts the identity model scored, with the probability, each
-- signal's contribution and the captured pages behind each signal. A build writes all its rows
-- with one built_at; readers take the latest build.

-- vendor_link_scores: scored pairs of vendor accounts, one row per (build, pair); pairs below a
-- probability of 0.01 are not written. Read the latest build: WHERE built_at = (SELECT max(built_at) FROM vendor_link_scores).
--   built_at        when the build ran (UTC); every row of one build has it
--   model_version   version of the model that scored the pair (internal/links/model.json)
--   source_a        market or forum of account a
--   handle_a        handle of account a
--   source_b        market or forum of account b; (source_a, handle_a) sorts before (source_b, handle_b)
--   handle_b        handle of account b
--   probability     calibrated probability that a and b are one vendor, 0 to 1
--   linked          1 when the pair is at or above threshold and the clustering joined it, else 0
--   threshold       probability at which the build linked pairs
--   cluster         source:handle of the first account of the cluster both are in ('' when not linked)
--   baseline        log-odds of a pair no signal speaks for; baseline + sum(contributions) is the pair's log-odds
--   signals         the signals that found something (pgp, crypto, contact, handle, style, business, market), parallel to the next four
--   contributions   each signal's contribution to the pair's log-odds (positive: for one vendor, negative: against)
--   evidence        what each signal rests on: the shared key, address or contact (and how many accounts hold it), the measures
--   captures_a      SHA-256 of the captured page showing the signal's evidence for a ('' when no one page shows it)
--   captures_b      the same for b
CREATE TABLE IF NOT EXISTS vendor_link_scores
(
    built_at DateTime,
    model_version String,
    source_a String,
    handle_a String,
    source_b String,
    handle_b String,
    probability Float64,
    linked UInt8,
    threshold Float64,
    cluster String,
    baseline Float64,
    signals Array(String),
    contributions Array(Float64),
    evidence Array(String),
    captures_a Array(String),
    captures_b Array(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(built_at)
ORDER BY (built_at, source_a, handle_a, source_b, handle_b);
