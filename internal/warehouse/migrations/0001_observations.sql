-- 0001_observations: the observation tables the loader writes.
--
-- Every table keeps every observation (price and profile history) and is a
-- ReplacingMergeTree whose sort key ends in event_id. An event id is derived
-- from the event type, source, natural key, observed time and content hash,
-- so a re-delivered or re-published event has the same sort key and the
-- engine collapses the copies during merges. Queries that must be exact
-- before a merge use FINAL or GROUP BY event_id (the *_current views do).
-- Times are UTC DateTime (seconds); empty strings and empty arrays mean
-- "not known". Text is stored as the collector normalized it; *_raw columns
-- keep the page's own text when a field did not normalize (see flags).

-- listing_obs: one row per observation of a market listing.
--   event_id          deterministic event id (hex, 32 chars)
--   source            market id from the site file
--   mirror            onion host the page was fetched from
--   url               page the listing was seen on
--   listing_id        the market's own id of the listing
--   title             listing title (bounded)
--   description       listing text (bounded; flags has description:truncated when cut)
--   category_raw      category as the market names it
--   category          counternet taxonomy code
--   vendor            vendor handle on that market
--   price_amount      price as shown, in price_currency
--   price_currency    ISO 4217 code or crypto ticker (BTC, XMR), upper case
--   price_raw         price text as shown
--   price_usd         price in USD at observation time; 0 when no rate was known
--   quantity          amount offered per unit of sale, in unit (10 for "10 g")
--   unit              unit of quantity (g, kg, mg, oz, ml, pills, ...)
--   ships_from        ISO 3166-1 alpha-2 origin country
--   ships_from_raw    origin text as shown
--   ships_to          every ISO 3166-1 alpha-2 destination country: named, covered by a region named
--                     or by a worldwide term (see ships_to_basis)
--   ships_to_raw      destination text as shown
--   payment_methods   payment methods offered (btc, xmr, ...)
--   escrow            1 when the market offers escrow for the listing
--   crypto_chains     chain of each crypto address (btc, xmr, eth, ltc), parallel to crypto_addresses
--   crypto_addresses  checksummed crypto addresses seen on the page
--   flags             fields whose raw text did not normalize, texts that were cut
--   observed_at       capture time of the page (UTC)
--   capture_sha256    SHA-256 of the captured page (evidence, see captures)
--   pipeline          site file name@version that extracted the record
--   run_id            crawl run that saw it (see runs)
--   inserted_at       when the row reached the warehouse
CREATE TABLE IF NOT EXISTS listing_obs
(
    event_id String,
    source String,
    mirror String,
    url String,
    listing_id String,
    title String,
    description String,
    category_raw String,
    category String,
    vendor String,
    price_amount Float64,
    price_currency String,
    price_raw String,
    price_usd Float64,
    quantity Float64,
    unit String,
    ships_from String,
    ships_from_raw String,
    ships_to Array(String),
    ships_to_raw String,
    payment_methods Array(String),
    escrow UInt8,
    crypto_chains Array(String),
    crypto_addresses Array(String),
    flags Array(String),
    observed_at DateTime,
    capture_sha256 String,
    pipeline String,
    run_id String,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (source, listing_id, observed_at, event_id);

-- vendor_obs: one row per observation of a vendor profile.
--   event_id          deterministic event id
--   source            market id from the site file
--   mirror            onion host the profile was fetched from
--   url               page the profile was seen on
--   handle            vendor handle on that market
--   profile_url       profile page URL
--   pgp_fingerprints  PGP key fingerprints on the profile (upper-case hex)
--   rating            rating as shown (market's own scale)
--   sales             number of sales as shown
--   joined            date joined, YYYY-MM-DD when known
--   ships_from        ISO 3166-1 alpha-2 origin country
--   ships_from_raw    origin text as shown
--   contacts          contact handles (jabber, session, ...)
--   crypto_chains     chain of each crypto address, parallel to crypto_addresses
--   crypto_addresses  checksummed crypto addresses on the profile
--   flags             fields that did not normalize, texts that were cut
--   observed_at       capture time (UTC)
--   capture_sha256    SHA-256 of the captured page
--   pipeline          site file name@version that extracted the profile
--   run_id            crawl run that saw it (see runs)
--   inserted_at       when the row reached the warehouse
CREATE TABLE IF NOT EXISTS vendor_obs
(
    event_id String,
    source String,
    mirror String,
    url String,
    handle String,
    profile_url String,
    pgp_fingerprints Array(String),
    rating Float64,
    sales Int64,
    joined String,
    ships_from String,
    ships_from_raw String,
    contacts Array(String),
    crypto_chains Array(String),
    crypto_addresses Array(String),
    flags Array(String),
    observed_at DateTime,
    capture_sha256 String,
    pipeline String,
    run_id String,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (source, handle, observed_at, event_id);

-- captures: one row per fetched page kept as evidence.
--   event_id      deterministic event id
--   source        market or forum id
--   url           page fetched
--   fetched_at    fetch time (UTC)
--   status        HTTP status (0 when no response)
--   outcome       ok, truncated, blocked, error, http_error
--   bytes         body size kept
--   sha256        SHA-256 of the captured body (joins *_obs.capture_sha256)
--   content_type  Content-Type of the response
--   page_kind     index, listing, vendor, ...
--   records       records extracted from the page
--   run_id        crawl run
--   error         error text when the fetch failed
--   duration_ms   fetch duration in milliseconds
--   inserted_at   when the row reached the warehouse
CREATE TABLE IF NOT EXISTS captures
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
ORDER BY (source, fetched_at, event_id);

-- runs: one row per finished crawl run of one source.
--   event_id      deterministic event id
--   run_id        run id (joins *_obs.run_id, captures.run_id)
--   source        market or forum id
--   pipeline      site file name@version
--   started_at    when the run started (UTC)
--   finished_at   when the run ended (UTC)
--   outcome       ok, partial, failed
--   pages         pages fetched
--   pages_failed  pages that failed
--   listings      listing records emitted
--   vendors       vendor records emitted
--   error         error text of a failed run
--   inserted_at   when the row reached the warehouse
CREATE TABLE IF NOT EXISTS runs
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
ORDER BY (source, started_at, run_id, event_id);
