-- 0060_every_field: every field a site file may set reaches a column: every price a listing page
-- shows, where its US dollar price came from, destinations with their basis, listing and vendor
-- details, shipping options, vendor history claims, typed contacts, a post's board and author, forum
-- threads, and the typed attributes of values no fixed column covers.
--
-- Nullable columns hold NULL when the page did not show the value, so 0 is a value that was shown.
-- Lists of records are kept as parallel arrays (one element per record, same length), and
-- attributes as the parallel arrays attr_keys, attr_types and attr_values: one element per
-- attribute, its value in the canonical text of its type (int and float as decimal numbers, bool
-- true or false, date RFC 3339 in UTC, money "<amount> <currency>", country an alpha-2 code,
-- countries alpha-2 codes joined with ","; a value its type could not read is kept as text and its
-- key flagged attributes.<key>).
--
-- Destinations: ships_to lists every destination country, ships_to_basis (same length) says for
-- each why it is there: explicit (the page names the country), region (a region the page names,
-- EU or Europe, covers it) or worldwide (a worldwide term covers it; a "Worldwide except ..." term
-- covers every ISO 3166-1 country but those in ships_to_excluded). A listing showing "Ships to:
-- Germany, EU" has DE explicit and the other 26 EU members region; one showing "Worldwide except
-- AU, SE" has the 247 other countries, each worldwide, and ships_to_excluded [AU, SE]. Rows stored
-- before bases were kept have an empty ships_to_basis (basis '' in the views).

-- listing_obs, new columns:
--   prices_amount       amount of every price the page shows (the price field first, then the
--                       USD, BTC, XMR, LTC, EUR and GBP prices as present), parallel to prices_currency
--   prices_currency     currency of each of those prices (ISO 4217 code or crypto ticker)
--   prices_raw          each of those prices as the page shows it
--   price_max           upper end of a price range, in price_currency; 0 when the page shows one price
--   price_usd_basis     where price_usd came from: page_price (the page shows USD), page_rate (converted
--                       with a rate the page states), capture_rate (converted with a rate valid on the
--                       capture date), none (not converted: price_usd is 0); '' in rows stored before
--   price_usd_rate      US dollars per unit of price_currency applied to get price_usd (1 for USD)
--   ships_to_basis      why each ships_to country is a destination: explicit, region or worldwide
--   ships_from_region   origin when the page names a region or marker rather than a country: EU,
--                       EUROPE, WORLDWIDE, DIGITAL, UNKNOWN or another region code
--   listed_at           when the page says the listing was posted (1970-01-01 when not shown or not understood)
--   listed_raw          the listing date as shown
--   stock               items available, as shown
--   views               the page's view counter
--   sold                units or orders of this listing sold, as shown
--   product_class       physical or digital, when the page says which
--   product_class_raw   the product class as shown
--   finalize_early      1 when the listing requires or allows finalizing early (FE), 0 when it says not
--   escrow_known        1 when the page says whether escrow applies (escrow 0 then means no escrow)
--   shipping_methods    method of each shipping option the page offers ("Express")
--   shipping_costs      cost of each option, in shipping_currencies
--   shipping_currencies  currency of each option's cost
--   shipping_durations  delivery time of each option as shown ("24h", "5 days")
--   shipping_destinations  alpha-2 codes an option names, joined with ","; '' when it names none
--   shipping_raw        each option as the page shows it
--   vendor_rating       the vendor's rating as the listing page shows it (market's own scale)
--   vendor_sales        the vendor's sales as the listing page shows them
--   vendor_level        the vendor's level as the listing page shows it
--   vendor_feedback_percent  the vendor's share of positive feedback (0 to 100) as the listing page shows it
--   attr_keys           key of each attribute (site file's attributes.<key>)
--   attr_types          type of each attribute: text, int, float, bool, date, money, country, countries
--   attr_values         value of each attribute, in the canonical text of its type
ALTER TABLE listing_obs ADD COLUMN prices_amount Array(Float64) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN prices_currency Array(String) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN prices_raw Array(String) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN price_max Float64 DEFAULT 0;
ALTER TABLE listing_obs ADD COLUMN price_usd_basis String DEFAULT '';
ALTER TABLE listing_obs ADD COLUMN price_usd_rate Float64 DEFAULT 0;
ALTER TABLE listing_obs ADD COLUMN ships_to_basis Array(String) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN ships_from_region String DEFAULT '';
ALTER TABLE listing_obs ADD COLUMN listed_at DateTime DEFAULT toDateTime(0);
ALTER TABLE listing_obs ADD COLUMN listed_raw String DEFAULT '';
ALTER TABLE listing_obs ADD COLUMN stock Nullable(Int64);
ALTER TABLE listing_obs ADD COLUMN views Nullable(Int64);
ALTER TABLE listing_obs ADD COLUMN sold Nullable(Int64);
ALTER TABLE listing_obs ADD COLUMN product_class String DEFAULT '';
ALTER TABLE listing_obs ADD COLUMN product_class_raw String DEFAULT '';
ALTER TABLE listing_obs ADD COLUMN finalize_early Nullable(UInt8);
ALTER TABLE listing_obs ADD COLUMN escrow_known UInt8 DEFAULT 0;
ALTER TABLE listing_obs ADD COLUMN shipping_methods Array(String) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN shipping_costs Array(Float64) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN shipping_currencies Array(String) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN shipping_durations Array(String) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN shipping_destinations Array(String) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN shipping_raw Array(String) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN vendor_rating Nullable(Float64);
ALTER TABLE listing_obs ADD COLUMN vendor_sales Nullable(Int64);
ALTER TABLE listing_obs ADD COLUMN vendor_level String DEFAULT '';
ALTER TABLE listing_obs ADD COLUMN vendor_feedback_percent Nullable(Float64);
ALTER TABLE listing_obs ADD COLUMN attr_keys Array(String) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN attr_types Array(String) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN attr_values Array(String) DEFAULT [];

-- vendor_obs, new columns:
--   joined_at           when the vendor joined, with the time of day when the page shows one
--                       (1970-01-01 when not shown)
--   ships_from_region   origin when the profile names a region or marker rather than a country
--   ships_to            every destination country the profile's own terms name or cover
--   ships_to_basis      why each ships_to country is a destination: explicit, region or worldwide
--   ships_to_raw        the profile's destination text as shown
--   ships_to_excluded   countries a "Worldwide except ..." term on the profile leaves out
--   last_online         when the profile says the vendor was last online (1970-01-01 when not shown)
--   last_online_raw     the last-online text as shown
--   feedback_percent    share of positive feedback, 0 to 100, as shown
--   level               vendor level as shown
--   level_num           the vendor level when the text is a number
--   trust_level         trust level as shown
--   trust_level_num     the trust level when the text is a number
--   verified            1 when the profile shows a verified badge, 0 when it shows it is not verified
--   disputes_won        disputes won, as shown
--   disputes_lost       disputes lost, as shown
--   history_markets     market of each claim of history on another market ("Dream")
--   history_sales       sales or deals that claim states (0 when none)
--   history_ratings     rating that claim states (0 when none)
--   history_rating_max  top of that rating's scale (5 for "4.82/5"; 0 when none)
--   history_claims_raw  each claim as the page shows it
--   history_raw         the text the claims were read from
--   finalize_early      1 when the vendor requires or allows finalizing early, 0 when the profile says not
--   title               user title or rank the profile shows
--   contact_kinds       kind of each typed contact: telegram, jabber, wickr, session, signal, icq, tox, email
--   contact_values      the handle or address of each typed contact
--   attr_keys           key of each attribute
--   attr_types          type of each attribute
--   attr_values         value of each attribute, in the canonical text of its type
ALTER TABLE vendor_obs ADD COLUMN joined_at DateTime DEFAULT toDateTime(0);
ALTER TABLE vendor_obs ADD COLUMN ships_from_region String DEFAULT '';
ALTER TABLE vendor_obs ADD COLUMN ships_to Array(String) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN ships_to_basis Array(String) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN ships_to_raw String DEFAULT '';
ALTER TABLE vendor_obs ADD COLUMN ships_to_excluded Array(String) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN last_online DateTime DEFAULT toDateTime(0);
ALTER TABLE vendor_obs ADD COLUMN last_online_raw String DEFAULT '';
ALTER TABLE vendor_obs ADD COLUMN feedback_percent Nullable(Float64);
ALTER TABLE vendor_obs ADD COLUMN level String DEFAULT '';
ALTER TABLE vendor_obs ADD COLUMN level_num Nullable(Int64);
ALTER TABLE vendor_obs ADD COLUMN trust_level String DEFAULT '';
ALTER TABLE vendor_obs ADD COLUMN trust_level_num Nullable(Int64);
ALTER TABLE vendor_obs ADD COLUMN verified Nullable(UInt8);
ALTER TABLE vendor_obs ADD COLUMN disputes_won Nullable(Int64);
ALTER TABLE vendor_obs ADD COLUMN disputes_lost Nullable(Int64);
ALTER TABLE vendor_obs ADD COLUMN history_markets Array(String) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN history_sales Array(Int64) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN history_ratings Array(Float64) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN history_rating_max Array(Float64) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN history_claims_raw Array(String) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN history_raw String DEFAULT '';
ALTER TABLE vendor_obs ADD COLUMN finalize_early Nullable(UInt8);
ALTER TABLE vendor_obs ADD COLUMN title String DEFAULT '';
ALTER TABLE vendor_obs ADD COLUMN contact_kinds Array(String) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN contact_values Array(String) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN attr_keys Array(String) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN attr_types Array(String) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN attr_values Array(String) DEFAULT [];

-- post_obs, new columns:
--   board               board path the thread sits in, as the page shows it ("Market > Drugs > Opioids")
--   author_title        the author's user title or rank
--   author_posts        the author's post count, as shown
--   author_joined       when the author joined the forum (1970-01-01 when not shown or not understood)
--   author_joined_raw   the join date as shown
--   signature           the author's signature under the post
--   contact_kinds       kind of each contact handle in the post, its contacts field or signature
--   contact_values      the handle or address of each such contact
--   post_number         the post's position in its thread (0 when not shown)
--   attr_keys           key of each attribute
--   attr_types          type of each attribute
--   attr_values         value of each attribute, in the canonical text of its type
ALTER TABLE post_obs ADD COLUMN board String DEFAULT '';
ALTER TABLE post_obs ADD COLUMN author_title String DEFAULT '';
ALTER TABLE post_obs ADD COLUMN author_posts Nullable(Int64);
ALTER TABLE post_obs ADD COLUMN author_joined DateTime DEFAULT toDateTime(0);
ALTER TABLE post_obs ADD COLUMN author_joined_raw String DEFAULT '';
ALTER TABLE post_obs ADD COLUMN signature String DEFAULT '';
ALTER TABLE post_obs ADD COLUMN contact_kinds Array(String) DEFAULT [];
ALTER TABLE post_obs ADD COLUMN contact_values Array(String) DEFAULT [];
ALTER TABLE post_obs ADD COLUMN post_number Int64 DEFAULT 0;
ALTER TABLE post_obs ADD COLUMN attr_keys Array(String) DEFAULT [];
ALTER TABLE post_obs ADD COLUMN attr_types Array(String) DEFAULT [];
ALTER TABLE post_obs ADD COLUMN attr_values Array(String) DEFAULT [];

-- thread_obs: one row per observation of a forum thread, as a board's thread list or the thread's
-- own page shows it, kept like the other observation tables.
--   event_id          deterministic event id of the thread observation
--   source            forum id from the site file
--   mirror            onion host the thread list or page was fetched from
--   url               page the thread was seen on
--   thread_id         the forum's own id of the thread (joins post_obs.thread_id)
--   title             thread title (bounded)
--   board             board path the thread sits in ("Market > Drugs > Opioids")
--   author            handle of the member who started the thread
--   started_at        when the thread was started (1970-01-01 when not shown or not understood)
--   started_raw       the start date as shown
--   replies           replies counted by the forum, as shown
--   views             the thread's view counter, as shown
--   pages             pages the thread runs to, as shown
--   last_post_at      when the last post was made (1970-01-01 when not shown or not understood)
--   last_post_raw     the last-post date as shown
--   last_poster       handle of the member who made the last post
--   sticky            1 when the thread is pinned to the top of its board, 0 when shown as not
--   locked            1 when the thread is closed to replies, 0 when shown as open
--   attr_keys         key of each attribute
--   attr_types        type of each attribute
--   attr_values       value of each attribute, in the canonical text of its type
--   flags             fields whose raw text did not normalize, texts that were cut
--   observed_at       capture time of the page (UTC)
--   capture_sha256    SHA-256 of the captured page (evidence, see captures)
--   pipeline          site file name@version that extracted the record
--   run_id            crawl run that saw it (see runs)
--   inserted_at       when the row reached the warehouse
CREATE TABLE IF NOT EXISTS thread_obs
(
    event_id String,
    source String,
    mirror String,
    url String,
    thread_id String,
    title String,
    board String,
    author String,
    started_at DateTime,
    started_raw String,
    replies Nullable(Int64),
    views Nullable(Int64),
    pages Nullable(Int64),
    last_post_at DateTime,
    last_post_raw String,
    last_poster String,
    sticky Nullable(UInt8),
    locked Nullable(UInt8),
    attr_keys Array(String),
    attr_types Array(String),
    attr_values Array(String),
    flags Array(String),
    observed_at DateTime,
    capture_sha256 String,
    pipeline String,
    run_id String,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (source, thread_id, observed_at, event_id);
