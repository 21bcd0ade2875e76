-- 0020_crawl: crawl bookkeeping: what each capture was found to be and which mirror served
-- it, the run's books by page class, and the collection-gaps view.
--
-- captures, new columns:
--   mirror        onion host that served the page
--   class         page class before extraction: ok, too_large, queue, captcha, login, ratelimit,
--                 not_found, refused (content type), error
--   charset       character encoding of the body (WHATWG name)
--   charset_flag  guessed, unknown or invalid when the charset was not declared or did not match
--   attempts      fetch attempts (retries + 1)
ALTER TABLE captures ADD COLUMN mirror String DEFAULT '';
ALTER TABLE captures ADD COLUMN class String DEFAULT '';
ALTER TABLE captures ADD COLUMN charset String DEFAULT '';
ALTER TABLE captures ADD COLUMN charset_flag String DEFAULT '';
ALTER TABLE captures ADD COLUMN attempts UInt16 DEFAULT 0;

-- runs, new columns:
--   pages_ok          pages extracted
--   pages_blocked     DDoS queues, captchas, login walls, rate limits
--   pages_truncated   pages cut at the size limit
--   class_names       page classes the run met (parallel to class_counts)
--   class_counts      pages of each of those classes
--   records           records extracted
--   events            events stored on the bus, the run event included
--   duration_ms       run duration
--   errors            first distinct page errors
--   mirror            mirror in use when the run ended
--   mirror_switches   moves to the next mirror
--   identities        fresh Tor identities taken
--   needs_login       1 when the source showed a login wall (session expired)
ALTER TABLE runs ADD COLUMN pages_ok UInt32 DEFAULT 0;
ALTER TABLE runs ADD COLUMN pages_blocked UInt32 DEFAULT 0;
ALTER TABLE runs ADD COLUMN pages_truncated UInt32 DEFAULT 0;
ALTER TABLE runs ADD COLUMN class_names Array(String) DEFAULT [];
ALTER TABLE runs ADD COLUMN class_counts Array(UInt32) DEFAULT [];
ALTER TABLE runs ADD COLUMN records UInt32 DEFAULT 0;
ALTER TABLE runs ADD COLUMN events UInt32 DEFAULT 0;
ALTER TABLE runs ADD COLUMN duration_ms Int64 DEFAULT 0;
ALTER TABLE runs ADD COLUMN errors Array(String) DEFAULT [];
ALTER TABLE runs ADD COLUMN mirror String DEFAULT '';
ALTER TABLE runs ADD COLUMN mirror_switches UInt16 DEFAULT 0;
ALTER TABLE runs ADD COLUMN identities UInt16 DEFAULT 0;
ALTER TABLE runs ADD COLUMN needs_login UInt8 DEFAULT 0;

-- crawl_runs: one row per crawl run (the runs table, duplicates collapsed), with whether it
-- observed the source. Every column but observed has the meaning it has in runs.
--   observed      1 when the run observed the source: some page extracted, or records from it
CREATE VIEW IF NOT EXISTS crawl_runs AS
SELECT
    run_id, source, pipeline, started_at, finished_at, outcome,
    pages, pages_ok, pages_failed, pages_blocked, pages_truncated, class_names, class_counts,
    listings, vendors, records, events, duration_ms, error, errors,
    mirror, mirror_switches, identities, needs_login,
    toUInt8(pages_ok > 0 OR listings + vendors > 0) AS observed
FROM runs FINAL;

-- collection_gaps: per source, each stretch of consecutive runs that observed nothing.
--   source        market or forum id
--   gap_from      end of the last run that observed the source (or the first failed run's start)
--   gap_to        start of the next run that observed it, or now() while the gap is open
--   open          1 while no run has observed the source since
--   runs_failed   runs in the gap
--   reasons       why: the runs' errors (proxy down, session expired, ...) or outcome
--   needs_login   1 when a run in the gap hit a login wall
CREATE VIEW IF NOT EXISTS collection_gaps AS
SELECT
    source,
    if(grp = 0, first_failed, ok_finished[grp]) AS gap_from,
    if(grp < length(ok_started), ok_started[grp + 1], now()) AS gap_to,
    toUInt8(grp >= length(ok_started)) AS open,
    runs_failed,
    reasons,
    needs_login
FROM
(
    SELECT
        source, grp, min(started) AS first_failed, count() AS runs_failed,
        groupUniqArray(reason) AS reasons, max(login) AS needs_login,
        any(oks) AS ok_started, any(okf) AS ok_finished
    FROM
    (
        SELECT source, tupleElement(r, 1) AS started, tupleElement(r, 3) AS ok, tupleElement(r, 4) AS reason,
            tupleElement(r, 5) AS login, g AS grp, oks, okf
        FROM
        (
            SELECT
                source,
                arraySort(x -> tupleElement(x, 1), groupArray((started_at, finished_at, observed, reason, needs_login))) AS rs,
                arrayCumSum(arrayMap(x -> toUInt64(tupleElement(x, 3)), rs)) AS gs,
                arrayMap(x -> tupleElement(x, 1), arrayFilter(x -> tupleElement(x, 3) = 1, rs)) AS oks,
                arrayMap(x -> tupleElement(x, 2), arrayFilter(x -> tupleElement(x, 3) = 1, rs)) AS okf
            FROM
            (
                SELECT source, started_at, finished_at, observed, needs_login,
                    if(error != '', substring(error, 1, 200), concat(outcome, ': nothing extracted')) AS reason
                FROM crawl_runs
            )
            GROUP BY source
        )
        ARRAY JOIN rs AS r, gs AS g
    )
    WHERE ok = 0
    GROUP BY source, grp
);
