-- 0091_watchlists: what each case watches, what was already known when it started watching, the
-- alerts the watcher raised and how far it has read what was loaded.

-- watchlist: one row per version of a watched item (read with FINAL; a removed item keeps its
-- latest version with removed = 1).
--   case_id     the case watching it (see cases)
--   watch_id    id of the item, derived from case, kind and value (the same item watched again keeps it)
--   kind        handle, pgp_fingerprint, crypto_address or route_into (a destination country)
--   value       the handle (lower case), fingerprint (upper-case hex), address, or alpha-2 code
--   note        why it is watched, as the investigator wrote it
--   added_by    user who added (or last re-added) the item
--   added_at    when it was added (UTC)
--   removed     1 when the case no longer watches it
--   removed_by  user who removed it ('' while watched)
--   version     version of the watchlist row: the highest one holds
CREATE TABLE IF NOT EXISTS watchlist
(
    case_id String,
    watch_id String,
    kind String,
    value String,
    note String,
    added_by String,
    added_at DateTime,
    removed UInt8,
    removed_by String,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (case_id, watch_id);

-- watch_known: what was already known of a watched item when it was added, so that no alert is
-- raised for it: the vendor identities showing a watched identifier, or the origins of routes
-- into a watched country. Rows only accumulate (what is known only grows).
--   watch_id  the watched item (see watchlist)
--   source    market of a vendor identity showing the identifier ('' for a route)
--   handle    that identity's handle, lower case ('' for a route)
--   origin    ships_from of a route into the watched country ('' for an identifier)
--   at        when it was recorded (UTC)
CREATE TABLE IF NOT EXISTS watch_known
(
    watch_id String,
    source String,
    handle String,
    origin String,
    at DateTime
)
ENGINE = ReplacingMergeTree
ORDER BY (watch_id, source, handle, origin);

-- case_alerts: alerts raised by the watcher (read with FINAL). The alert id is derived from the
-- watched item and what is new (market and handle, or origin), so scanning the same data again
-- raises nothing twice.
--   alert_id        id derived from watch_id and the new identity or origin (hex)
--   case_id         the case whose watchlist raised it
--   watch_id        the watched item (see watchlist)
--   watch_kind      kind of the watched item (see watchlist.kind)
--   watch_value     value of the watched item
--   kind            new_market (a watched identifier on a market it was not known on),
--                   new_handle (under a handle it was not known under) or new_route (a new origin
--                   of listings into a watched country)
--   source          market where it appeared ('' for a route: see sources)
--   handle          handle it appeared under ('' for a route)
--   origin          ships_from of the new route ('' for an identifier)
--   country         the watched destination country ('' for an identifier)
--   matched         the watched identifiers the new rows showed (handle:, pgp: or crypto: prefixed)
--   sources         markets the new route was seen on (route alerts)
--   vendors         vendor identities (market:handle) offering the new route, at most 20 (route alerts)
--   bases           how the new route's listings ship there (explicit, region, worldwide)
--   observed_at     capture time of the earliest new observation showing it
--   capture_sha256  SHA-256 of that observation's captured page (evidence)
--   raised_at       when the watcher raised it (UTC)
--   status          new, seen or dismissed
--   status_by       user who last changed the status ('' when new)
--   version         version of the alert row: the highest one holds
CREATE TABLE IF NOT EXISTS case_alerts
(
    alert_id String,
    case_id String,
    watch_id String,
    watch_kind String,
    watch_value String,
    kind String,
    source String,
    handle String,
    origin String,
    country String,
    matched Array(String),
    sources Array(String),
    vendors Array(String),
    bases Array(String),
    observed_at DateTime,
    capture_sha256 String,
    raised_at DateTime,
    status String,
    status_by String,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (case_id, alert_id);

-- watcher_state: how far the alert watcher has read the observation tables (read with FINAL).
--   name        the watcher's name (alerts)
--   watermark   observations inserted at or after this time are read by the next scan
--   scanned_at  when the last scan finished (UTC)
--   alerts      alerts the last scan raised
--   version     version of the state row: the highest one holds
CREATE TABLE IF NOT EXISTS watcher_state
(
    name String,
    watermark DateTime,
    scanned_at DateTime,
    alerts UInt64,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY name;
