-- 0130_listing_images: listing photos (internal/images, docs/images.md): every photo the collector
-- fetched for a listing with its hashes or the reason it was refused, the escalations of photos that
-- matched the operator's blocklist (which hold nothing of the photo), and photo reuse across vendors.

-- listing_images: one row per photo of a listing observation (counternet.image.v1), duplicates
-- collapsed by event_id. A photo that matched the blocklist is never here (see image_escalations).
--   event_id        deterministic event id (hex, 32 chars)
--   source          market id from the site file
--   mirror          onion host the listing page was fetched from
--   url             listing page the photo was shown on
--   observed_at     capture time of the listing page (UTC)
--   capture_sha256  SHA-256 of the captured listing page
--   pipeline        site file name@version
--   run_id          crawl run that fetched the photo
--   listing_id      the market's own id of the listing
--   vendor          vendor handle on that market
--   image_url       absolute URL of the photo as the page gave it
--   position        place of the photo among the listing's photos, from 1
--   outcome         ok (hashed) or refused (see reason)
--   reason          why a photo was refused: too_large, dimensions, format, corrupt, content_type, http_error,
--                   timeout, fetch_error, page_limit, run_limit, bad_url ('' when ok)
--   error           the refusal in words ('' when ok)
--   fetched_at      when the photo's response arrived (UTC)
--   status          HTTP status of the photo (0 when no answer)
--   content_type    Content-Type the server gave
--   bytes           bytes read
--   sha256          SHA-256 of the photo's bytes ('' when refused)
--   phash           64-bit perceptual hash (DCT); near copies are a small bitCount(bitXor(a, b)) apart
--   dhash           64-bit difference hash
--   ahash           64-bit average hash
--   format          jpeg, png or gif
--   width           width of the decoded image in pixels
--   height          height of the decoded image in pixels
--   kept            1 when the bytes are in the evidence store (the site file set keep_images), found by sha256
CREATE TABLE IF NOT EXISTS listing_images
(
    event_id String,
    source String,
    mirror String,
    url String,
    observed_at DateTime,
    capture_sha256 String,
    pipeline String,
    run_id String,
    listing_id String,
    vendor String,
    image_url String,
    position UInt16,
    outcome String,
    reason String,
    error String,
    fetched_at DateTime,
    status UInt16,
    content_type String,
    bytes UInt64,
    sha256 String,
    phash UInt64,
    dhash UInt64,
    ahash UInt64,
    format String,
    width UInt32,
    height UInt32,
    kept UInt8
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (source, listing_id, image_url, observed_at, event_id);

-- image_escalations: one row per photo that matched the operator's blocklist
-- (counternet.image_escalation.v1). It holds where the photo was seen and which entry matched,
-- never the photo: no bytes, no hash, no size.
--   event_id        deterministic event id (hex, 32 chars)
--   source          market id from the site file
--   page_url        listing page that showed the photo
--   capture_sha256  SHA-256 of the captured listing page (the page itself is evidence)
--   listing_id      the market's own id of the listing
--   vendor          vendor handle on that market
--   image_url       URL of the photo as the page gave it
--   entry_id        id of the blocklist entry that matched (the operator's reference)
--   matched_by      how it matched: sha256, phash, dhash or ahash
--   detected_at     when the match was found (UTC)
--   run_id          crawl run that met the photo
CREATE TABLE IF NOT EXISTS image_escalations
(
    event_id String,
    source String,
    page_url String,
    capture_sha256 String,
    listing_id String,
    vendor String,
    image_url String,
    entry_id String,
    matched_by String,
    detected_at DateTime,
    run_id String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(detected_at)
ORDER BY (detected_at, source, event_id);

-- image_reuse: per perceptual hash of the photos hashed, how many vendors (source, handle) and
-- listings show it: a pHash many vendors share is a stock photo and weakens a link rather than
-- making one. Exact pHash equality; near copies a few bits apart are separate rows.
--   phash       64-bit perceptual hash
--   vendors     distinct (source, vendor) accounts showing it
--   sources     distinct markets showing it
--   listings    distinct (source, listing_id) showing it
--   sha256s     distinct byte-exact files with this pHash
--   first_seen  first observation of a listing showing it
--   last_seen   last observation
CREATE VIEW IF NOT EXISTS image_reuse AS
SELECT
    phash,
    uniqExact(source, vendor) AS vendors,
    uniqExact(source) AS sources,
    uniqExact(source, listing_id) AS listings,
    uniqExact(sha256) AS sha256s,
    min(observed_at) AS first_seen,
    max(observed_at) AS last_seen
FROM listing_images
WHERE outcome = 'ok'
GROUP BY phash;
