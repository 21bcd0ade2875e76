// Package event defines counternet's versioned bus events: the records a
// collector publishes and a loader writes, their deterministic ids, their
// subjects and their validation. It imports nothing else of counternet's.
//
// Versioning rule: a schema name ends in .vN. Within one N, fields are only
// ever added (never renamed, retyped or removed), so a loader that knows vN
// ignores fields it does not know. Any other change is a new N on a new
// subject prefix. An envelope (counternet.envelope.v1, see envelope.go)
// follows the same rule for its header, and the events inside it keep
// their own schema names and versions.
package event

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Schema names carried in every message's "schema" field.
const (
	SchemaListing = "counternet.listing.v1"
	SchemaVendor  = "counternet.vendor.v1"
	SchemaCapture = "counternet.capture.v1"
	SchemaRun     = "counternet.run.v1"
	SchemaPost    = "counternet.post.v1"
	SchemaThread  = "counternet.thread.v1"
)

// Event types; each is the third token of its subject.
const (
	TypeListing = "listing"
	TypeVendor  = "vendor"
	TypeCapture = "capture"
	TypeRun     = "run"
	TypePost    = "post"
	TypeThread  = "thread"
)

// SubjectPrefix is the first two tokens of every event subject.
const SubjectPrefix = "intel.v1"

// Bounds on free text carried in events; longer text is cut and flagged.
const (
	MaxTitle       = 512
	MaxDescription = 8 << 10
	MaxText        = 1 << 10
	// MaxPrices bounds the prices of one listing; MaxOptions its shipping
	// options and a vendor's history claims.
	MaxPrices  = 16
	MaxOptions = 64
	// MaxMessage is the largest encoded event a loader accepts.
	MaxMessage = 256 << 10
)

// ErrInvalid marks an event that fails validation.
var ErrInvalid = errors.New("invalid event")

// Money is an amount in a currency as shown on the page.
type Money struct {
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"` // ISO 4217 or crypto ticker (BTC, XMR), upper case
	Raw      string  `json:"raw,omitempty"`
}

// CryptoAddress is a checksummed address seen on a page.
type CryptoAddress struct {
	Chain   string `json:"chain"` // btc, xmr, eth, ltc
	Address string `json:"address"`
}

// Provenance says where a record came from; every event carries it.
type Provenance struct {
	Source        string    `json:"source"` // market or forum id from the site file
	Mirror        string    `json:"mirror"` // host the page was fetched from
	URL           string    `json:"url"`
	ObservedAt    time.Time `json:"observed_at"` // capture time, UTC
	CaptureSHA256 string    `json:"capture_sha256"`
	Pipeline      string    `json:"pipeline"` // name@version of the site file
	RunID         string    `json:"run_id"`
}

// Listing is one observation of a market listing.
type Listing struct {
	Schema  string `json:"schema"`
	EventID string `json:"event_id"`
	Provenance
	ListingID    string   `json:"listing_id"`
	Title        string   `json:"title"`
	Description  string   `json:"description,omitempty"`
	CategoryRaw  string   `json:"category_raw,omitempty"`
	Category     string   `json:"category,omitempty"` // taxonomy code
	Vendor       string   `json:"vendor"`
	Price        Money    `json:"price"`
	PriceUSD     float64  `json:"price_usd"` // 0 when no rate was known; see Flags
	Quantity     float64  `json:"quantity,omitempty"`
	Unit         string   `json:"unit,omitempty"`
	ShipsFrom    string   `json:"ships_from,omitempty"` // ISO 3166-1 alpha-2
	ShipsFromRaw string   `json:"ships_from_raw,omitempty"`
	ShipsTo      []string `json:"ships_to,omitempty"` // ISO 3166-1 alpha-2
	ShipsToRaw   string   `json:"ships_to_raw,omitempty"`
	// ShipsToExcluded are countries a "Worldwide except ..." term leaves
	// out (ShipsTo is then empty and flagged ships_to:worldwide).
	ShipsToExcluded []string `json:"ships_to_excluded,omitempty"`
	// PricePerUnit is the price of one gram, millilitre or unit (see Unit)
	// in the listing's currency, and PricePerUnitUSD the same in US
	// dollars; 0 when quantity or rate is unknown.
	PricePerUnit    float64         `json:"price_per_unit,omitempty"`
	PricePerUnitUSD float64         `json:"price_per_unit_usd,omitempty"`
	PaymentMethods  []string        `json:"payment_methods,omitempty"`
	Escrow          bool            `json:"escrow,omitempty"`
	Crypto          []CryptoAddress `json:"crypto_addresses,omitempty"`
	// Flags names fields whose raw text did not normalize (e.g. "price",
	// "ships_from") and texts that were cut ("description:truncated").
	Flags []string `json:"flags,omitempty"`

	// Prices holds every price the page shows, each in its own currency
	// with its raw text: the price field first, then price_usd, price_btc,
	// price_xmr, price_ltc, price_eur, price_gbp as present.
	Prices []Money `json:"prices,omitempty"`
	// PriceMax is the upper end of a price range, in Price.Currency; 0
	// when the page shows a single price.
	PriceMax float64 `json:"price_max,omitempty"`
	// PriceUSDBasis says where PriceUSD came from (BasisPagePrice,
	// BasisPageRate, BasisCaptureRate) or BasisNone when no amount or rate
	// could be used; PriceUSDRate is the US dollars per unit of
	// Price.Currency that was applied (1 for a USD price).
	PriceUSDBasis string  `json:"price_usd_basis,omitempty"`
	PriceUSDRate  float64 `json:"price_usd_rate,omitempty"`
	// ShipsToBasis runs parallel to ShipsTo: for each destination whether
	// the page named it (DestExplicit), a region named on the page covers
	// it (DestRegion) or a worldwide term does (DestWorldwide, minus
	// ShipsToExcluded).
	ShipsToBasis []string `json:"ships_to_basis,omitempty"`
	// ShipsFromRegion is the origin when ships_from names a region or a
	// marker rather than a country: "EU", "EUROPE", "WORLDWIDE",
	// "DIGITAL", "UNKNOWN" or another region code.
	ShipsFromRegion string `json:"ships_from_region,omitempty"`
	// ListedAt is when the page says the listing was posted, UTC; zero
	// when not shown or not understood (ListedRaw keeps the text).
	ListedAt  time.Time `json:"listed_at,omitzero"`
	ListedRaw string    `json:"listed_raw,omitempty"`
	// Stock is the number of items available, Views the page's view
	// counter, Sold the units or orders sold of this listing; nil when the
	// page does not show them.
	Stock *int64 `json:"stock,omitempty"`
	Views *int64 `json:"views,omitempty"`
	Sold  *int64 `json:"sold,omitempty"`
	// ProductClass is "physical" or "digital" when the page's text says
	// which; ProductClassRaw the text as shown.
	ProductClass    string `json:"product_class,omitempty"`
	ProductClassRaw string `json:"product_class_raw,omitempty"`
	// FinalizeEarly is whether the listing requires or allows finalizing
	// early; nil when the page does not say.
	FinalizeEarly *bool `json:"finalize_early,omitempty"`
	// EscrowKnown is set when the page said whether escrow applies, so
	// Escrow false means "no escrow", not "not shown".
	EscrowKnown bool `json:"escrow_known,omitempty"`
	// ShippingOptions are the shipping choices the page offers.
	ShippingOptions []ShippingOption `json:"shipping_options,omitempty"`
	// VendorRating, VendorSales and VendorLevel are vendor statistics a
	// listing page shows next to the listing.
	VendorRating *float64 `json:"vendor_rating,omitempty"`
	VendorSales  *int64   `json:"vendor_sales,omitempty"`
	VendorLevel  string   `json:"vendor_level,omitempty"`
	// VendorFeedbackPercent is a vendor_rating the page writes as a
	// percentage of positive feedback (0-100), never forced into a rating.
	VendorFeedbackPercent *float64 `json:"vendor_feedback_percent,omitempty"`
	// Attributes are the page's values no fixed field covers.
	Attributes []Attr `json:"attributes,omitempty"`
}

// Vendor is one observation of a vendor profile.
type Vendor struct {
	Schema  string `json:"schema"`
	EventID string `json:"event_id"`
	Provenance
	Handle          string          `json:"handle"`
	ProfileURL      string          `json:"profile_url,omitempty"`
	PGPFingerprints []string        `json:"pgp_fingerprints,omitempty"` // upper-case hex
	Rating          float64         `json:"rating,omitempty"`
	Sales           int64           `json:"sales,omitempty"`
	Joined          string          `json:"joined,omitempty"` // YYYY-MM-DD when known
	ShipsFrom       string          `json:"ships_from,omitempty"`
	ShipsFromRaw    string          `json:"ships_from_raw,omitempty"`
	Contacts        []string        `json:"contacts,omitempty"`
	Crypto          []CryptoAddress `json:"crypto_addresses,omitempty"`
	Flags           []string        `json:"flags,omitempty"`

	// JoinedAt is Joined with its time of day when the page shows one,
	// UTC (Joined keeps the date for compatibility).
	JoinedAt time.Time `json:"joined_at,omitzero"`
	// ShipsFromRegion, ShipsTo, ShipsToBasis, ShipsToRaw and
	// ShipsToExcluded are as on Listing, for the vendor's own terms.
	ShipsFromRegion string   `json:"ships_from_region,omitempty"`
	ShipsTo         []string `json:"ships_to,omitempty"`
	ShipsToBasis    []string `json:"ships_to_basis,omitempty"`
	ShipsToRaw      string   `json:"ships_to_raw,omitempty"`
	ShipsToExcluded []string `json:"ships_to_excluded,omitempty"`
	// LastSeen is when the page says the vendor was last online, UTC.
	LastSeen    time.Time `json:"last_seen,omitzero"`
	LastSeenRaw string    `json:"last_seen_raw,omitempty"`
	// FeedbackPercent is the share of positive feedback, 0-100.
	FeedbackPercent *float64 `json:"feedback_percent,omitempty"`
	// Level and TrustLevel are as shown; LevelNum and TrustLevelNum are set
	// when the text holds a number.
	Level         string `json:"level,omitempty"`
	LevelNum      *int64 `json:"level_num,omitempty"`
	TrustLevel    string `json:"trust_level,omitempty"`
	TrustLevelNum *int64 `json:"trust_level_num,omitempty"`
	// Verified is whether the page shows a verified badge; nil when not
	// shown either way.
	Verified     *bool  `json:"verified,omitempty"`
	DisputesWon  *int64 `json:"disputes_won,omitempty"`
	DisputesLost *int64 `json:"disputes_lost,omitempty"`
	// History holds the vendor's claims of history on other markets;
	// HistoryRaw the text they were read from.
	History       []HistoryClaim `json:"history,omitempty"`
	HistoryRaw    string         `json:"history_raw,omitempty"`
	FinalizeEarly *bool          `json:"finalize_early,omitempty"`
	// Title is a user title or rank the page shows.
	Title string `json:"title,omitempty"`
	// TypedContacts are the contact handles found, each with its kind.
	TypedContacts []Contact `json:"typed_contacts,omitempty"`
	Attributes    []Attr    `json:"attributes,omitempty"`
	// PGPUserIDs are the user ids of the armored keys the page shows
	// ("name <email>" as in the key, trimmed, the e-mail part lower-cased),
	// and PGPSubkeys the fingerprints of their subkeys (upper-case hex).
	// Keys whose fingerprints differ may share either.
	PGPUserIDs []string `json:"pgp_user_ids,omitempty"`
	PGPSubkeys []string `json:"pgp_subkeys,omitempty"`
}

// Mentions are the things a forum post names: markets, vendors, onion
// addresses, crypto addresses and PGP key fingerprints.
type Mentions struct {
	Markets []string        `json:"markets,omitempty"`
	Vendors []string        `json:"vendors,omitempty"`
	Onions  []string        `json:"onions,omitempty"` // v3 onion hosts, lower case
	Crypto  []CryptoAddress `json:"crypto_addresses,omitempty"`
	PGP     []string        `json:"pgp,omitempty"` // fingerprints, upper-case hex
}

// Post is one observation of a forum post.
type Post struct {
	Schema  string `json:"schema"`
	EventID string `json:"event_id"`
	Provenance
	// Forum is the forum id; the same as Source.
	Forum       string    `json:"forum"`
	ThreadID    string    `json:"thread_id"`
	ThreadTitle string    `json:"thread_title,omitempty"`
	PostID      string    `json:"post_id"`
	Author      string    `json:"author,omitempty"`
	PostedAt    time.Time `json:"posted_at,omitzero"` // UTC; zero when the date did not parse
	PostedRaw   string    `json:"posted_raw,omitempty"`
	Body        string    `json:"body,omitempty"` // bounded by MaxDescription, flagged "body:truncated"
	Mentions    Mentions  `json:"mentions"`
	Flags       []string  `json:"flags,omitempty"`

	// Board is the board path the post sits in ("Market > Drugs"), as the
	// page shows it; Forum stays the source id.
	Board       string `json:"board,omitempty"`
	AuthorTitle string `json:"author_title,omitempty"`
	AuthorPosts *int64 `json:"author_posts,omitempty"`
	// AuthorJoined is when the author joined the forum, UTC.
	AuthorJoined    time.Time `json:"author_joined,omitzero"`
	AuthorJoinedRaw string    `json:"author_joined_raw,omitempty"`
	Signature       string    `json:"signature,omitempty"`
	// Contacts are the contact handles in the contacts field, the body and
	// the signature, each with its kind.
	Contacts []Contact `json:"contacts,omitempty"`
	// PostNumber is the post's position in its thread; 0 when not shown.
	PostNumber int64  `json:"post_number,omitempty"`
	Attributes []Attr `json:"attributes,omitempty"`
}

// Capture records one fetched page kept as evidence.
type Capture struct {
	Schema     string    `json:"schema"`
	EventID    string    `json:"event_id"`
	Source     string    `json:"source"`
	URL        string    `json:"url"`
	FetchedAt  time.Time `json:"fetched_at"`
	Status     int       `json:"status"`
	Outcome    string    `json:"outcome"` // ok, truncated, blocked, error, http_error
	Bytes      int64     `json:"bytes"`
	SHA256     string    `json:"sha256"`
	Type       string    `json:"content_type,omitempty"`
	PageKind   string    `json:"page_kind,omitempty"` // index, listing, vendor
	Records    int       `json:"records"`
	RunID      string    `json:"run_id"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	// Mirror is the host the page was fetched from.
	Mirror string `json:"mirror,omitempty"`
	// Class is what the page was found to be before extraction: ok,
	// too_large, queue, captcha, login, ratelimit, not_found, refused, error.
	Class string `json:"class,omitempty"`
	// Charset is the body's character encoding; CharsetFlag is set when it
	// was guessed, unknown or invalid.
	Charset     string `json:"charset,omitempty"`
	CharsetFlag string `json:"charset_flag,omitempty"`
	Attempts    int    `json:"attempts,omitempty"`
}

// Run records the outcome of one crawl run of one source.
type Run struct {
	Schema     string    `json:"schema"`
	EventID    string    `json:"event_id"`
	RunID      string    `json:"run_id"`
	Source     string    `json:"source"`
	Pipeline   string    `json:"pipeline"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Outcome    string    `json:"outcome"` // ok, partial, failed
	Pages      int       `json:"pages"`
	Failed     int       `json:"pages_failed"`
	Listings   int       `json:"listings"`
	Vendors    int       `json:"vendors"`
	Error      string    `json:"error,omitempty"`
	// PagesOK counts pages extracted; Blocked pages classified as a queue,
	// captcha, login wall or rate limit; Truncated pages cut at the size
	// limit.
	PagesOK   int `json:"pages_ok,omitempty"`
	Blocked   int `json:"pages_blocked,omitempty"`
	Truncated int `json:"pages_truncated,omitempty"`
	// Classes counts pages by class (see Capture.Class).
	Classes map[string]int `json:"pages_by_class,omitempty"`
	// Records counts records extracted; Events the events stored.
	Records    int   `json:"records,omitempty"`
	Events     int   `json:"events,omitempty"`
	DurationMS int64 `json:"duration_ms,omitempty"`
	// Errors holds the first distinct page errors of the run (bounded).
	Errors []string `json:"errors,omitempty"`
	// Mirror is the mirror host in use at the end; MirrorSwitches how often
	// the run moved to the next mirror; Identities how often it took fresh
	// Tor credentials.
	Mirror         string `json:"mirror,omitempty"`
	MirrorSwitches int    `json:"mirror_switches,omitempty"`
	Identities     int    `json:"identities,omitempty"`
	// NeedsLogin is set when the source showed a login wall: its session
	// cookies expired (or it needs some); the operator must log in again.
	NeedsLogin bool `json:"needs_login,omitempty"`
	// Posts counts forum post records extracted.
	Posts int `json:"posts,omitempty"`
	// Warnings name fields whose selectors matched on too few pages.
	Warnings []string `json:"warnings,omitempty"`
}

// ID derives a deterministic event id from the event type, the source, the
// natural key, the observation time and the content hash. The same
// observation always gets the same id, so a retried publish or a redelivered
// message is recognisably the same event.
//
// It is the first 16 bytes, in lowercase hex, of the SHA-256 of the five
// fields, each followed by a zero byte (the time in RFC 3339 with
// nanoseconds, UTC).
func ID(typ, source, key string, observed time.Time, contentSHA string) string {
	var buf [idInputStack]byte
	sum := sha256.Sum256(idInput(buf[:0], typ, source, key, observed, contentSHA))
	return hex.EncodeToString(sum[:16])
}

// IDMatches reports whether id is ID(typ, source, key, observed,
// contentSHA). It derives the id again, in full, but on the stack: the
// loader checks every event's id with it, without an allocation.
func IDMatches(id, typ, source, key string, observed time.Time, contentSHA string) bool {
	if len(id) != 2*idBytes {
		return false
	}
	var buf [idInputStack]byte
	sum := sha256.Sum256(idInput(buf[:0], typ, source, key, observed, contentSHA))
	var want [2 * idBytes]byte
	hex.Encode(want[:], sum[:idBytes])
	return string(want[:]) == id
}

// idBytes is the length of an event id before hex encoding; idInputStack
// holds the hashed fields of nearly every event without a heap buffer.
const (
	idBytes      = 16
	idInputStack = 512
)

// idInput appends what ID hashes to buf: each field and a zero byte.
func idInput(buf []byte, typ, source, key string, observed time.Time, contentSHA string) []byte {
	buf = append(append(buf, typ...), 0)
	buf = append(append(buf, source...), 0)
	buf = append(append(buf, key...), 0)
	buf = append(observed.UTC().AppendFormat(buf, time.RFC3339Nano), 0)
	return append(append(buf, contentSHA...), 0)
}

// Subject is the NATS subject for an event of typ from source. Characters
// NATS treats specially are replaced so a source id can never widen a
// subscription.
func Subject(typ, source string) string {
	return SubjectPrefix + "." + typ + "." + subjectToken(source)
}

// IsSubject reports whether subject is Subject(typ, source), without
// building it when source is a plain token (printable ASCII without the
// characters Subject replaces), as source ids are.
func IsSubject(subject, typ, source string) bool {
	rest, ok := strings.CutPrefix(subject, SubjectPrefix+".")
	if !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, typ); !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, "."); !ok {
		return false
	}
	if !plainToken(source) {
		return subject == Subject(typ, source)
	}
	return rest == source
}

// plainToken reports whether subjectToken(s) is s.
func plainToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ', c >= 0x7f, c == '.', c == '*', c == '>':
			return false
		}
	}
	return true
}

func subjectToken(s string) string {
	if s == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '.', r == '*', r == '>', r <= ' ', r == 0x7f:
			return '_'
		}
		return r
	}, s)
}

// Finalize fills the schema name and event id of a listing.
func (l *Listing) Finalize() {
	l.Schema = SchemaListing
	l.ObservedAt = l.ObservedAt.UTC()
	l.EventID = ID(TypeListing, l.Source, l.ListingID, l.ObservedAt, l.CaptureSHA256)
}

// Finalize fills the schema name and event id of a vendor.
func (v *Vendor) Finalize() {
	v.Schema = SchemaVendor
	v.ObservedAt = v.ObservedAt.UTC()
	v.EventID = ID(TypeVendor, v.Source, v.Handle, v.ObservedAt, v.CaptureSHA256)
}

// Finalize fills the schema name, the forum and the event id of a post and
// makes its times UTC.
func (p *Post) Finalize() {
	p.Schema = SchemaPost
	p.Forum = p.Source
	p.ObservedAt = p.ObservedAt.UTC()
	if !p.PostedAt.IsZero() {
		p.PostedAt = p.PostedAt.UTC()
	}
	p.EventID = ID(TypePost, p.Source, p.PostID, p.ObservedAt, p.CaptureSHA256)
}

// Finalize fills the schema name and event id of a capture.
func (c *Capture) Finalize() {
	c.Schema = SchemaCapture
	c.FetchedAt = c.FetchedAt.UTC()
	c.EventID = ID(TypeCapture, c.Source, c.URL, c.FetchedAt, c.SHA256)
}

// Finalize fills the schema name and event id of a run.
func (r *Run) Finalize() {
	r.Schema = SchemaRun
	r.StartedAt = r.StartedAt.UTC()
	r.FinishedAt = r.FinishedAt.UTC()
	r.EventID = ID(TypeRun, r.Source, r.RunID, r.StartedAt, r.Outcome)
}

// Validate reports what is missing or malformed in a listing.
func (l *Listing) Validate() error {
	errs := observationErrors(&l.Provenance, l.Schema, SchemaListing, l.EventID, "listing_id", l.ListingID)
	if len(l.Title) > MaxTitle || len(l.Description) > MaxDescription {
		errs = append(errs, "text over its bound")
	}
	if l.ShipsFrom != "" && !isCountryCode(l.ShipsFrom) {
		errs = append(errs, fmt.Sprintf("ships_from %q is not an alpha-2 code", l.ShipsFrom))
	}
	errs = append(errs, destErrors(l.ShipsTo, l.ShipsToBasis, l.ShipsToExcluded)...)
	if l.PriceUSDBasis != "" && !oneOf(l.PriceUSDBasis, PriceBases) {
		errs = append(errs, fmt.Sprintf("price_usd_basis %q, want one of %v", Cut(l.PriceUSDBasis, 80), PriceBases))
	}
	if l.ProductClass != "" && l.ProductClass != ClassPhysical && l.ProductClass != ClassDigital {
		errs = append(errs, fmt.Sprintf("product_class %q, want physical or digital", Cut(l.ProductClass, 80)))
	}
	if p := l.VendorFeedbackPercent; p != nil && !(*p >= 0 && *p <= 100) {
		errs = append(errs, fmt.Sprintf("vendor_feedback_percent %v outside 0-100", *p))
	}
	if len(l.Prices) > MaxPrices || len(l.ShippingOptions) > MaxOptions {
		errs = append(errs, "prices or shipping options over their bound")
	}
	errs = append(errs, countErrors("stock", l.Stock, "views", l.Views, "sold", l.Sold, "vendor_sales", l.VendorSales)...)
	errs = append(errs, attrErrors(l.Attributes)...)
	return joinErrs("listing", errs)
}

// Validate reports what is missing or malformed in a vendor.
func (v *Vendor) Validate() error {
	errs := observationErrors(&v.Provenance, v.Schema, SchemaVendor, v.EventID, "handle", v.Handle)
	if v.ShipsFrom != "" && !isCountryCode(v.ShipsFrom) {
		errs = append(errs, fmt.Sprintf("ships_from %q is not an alpha-2 code", v.ShipsFrom))
	}
	errs = append(errs, destErrors(v.ShipsTo, v.ShipsToBasis, v.ShipsToExcluded)...)
	if v.FeedbackPercent != nil && !(*v.FeedbackPercent >= 0 && *v.FeedbackPercent <= 100) {
		errs = append(errs, fmt.Sprintf("feedback_percent %v outside 0-100", *v.FeedbackPercent))
	}
	if len(v.History) > MaxOptions {
		errs = append(errs, "history claims over their bound")
	}
	errs = append(errs, countErrors("disputes_won", v.DisputesWon, "disputes_lost", v.DisputesLost)...)
	errs = append(errs, contactErrors(v.TypedContacts)...)
	errs = append(errs, attrErrors(v.Attributes)...)
	return joinErrs("vendor", errs)
}

// Validate reports what is missing or malformed in a post.
func (p *Post) Validate() error {
	errs := observationErrors(&p.Provenance, p.Schema, SchemaPost, p.EventID, "post_id", p.PostID)
	if p.Forum != p.Source {
		errs = append(errs, fmt.Sprintf("forum %q differs from source %q", p.Forum, p.Source))
	}
	if len(p.Body) > MaxDescription || len(p.ThreadTitle) > MaxTitle || len(p.Author) > MaxText ||
		len(p.ThreadID) > MaxText || len(p.PostID) > MaxText || len(p.PostedRaw) > MaxText {
		errs = append(errs, "text over its bound")
	}
	if len(p.Board) > MaxText || len(p.AuthorTitle) > MaxText || len(p.Signature) > MaxDescription {
		errs = append(errs, "board, author_title or signature over its bound")
	}
	errs = append(errs, countErrors("author_posts", p.AuthorPosts)...)
	if p.PostNumber < 0 {
		errs = append(errs, fmt.Sprintf("post_number %d is negative", p.PostNumber))
	}
	errs = append(errs, contactErrors(p.Contacts)...)
	errs = append(errs, attrErrors(p.Attributes)...)
	return joinErrs("post", errs)
}

// Validate reports what is missing or malformed in a capture.
func (c *Capture) Validate() error {
	var errs []string
	if c.Schema != SchemaCapture {
		errs = append(errs, fmt.Sprintf("schema %q, want %q", c.Schema, SchemaCapture))
	}
	if c.EventID == "" || c.Source == "" || c.URL == "" || c.FetchedAt.IsZero() {
		errs = append(errs, "event_id, source, url and fetched_at are required")
	}
	return joinErrs("capture", errs)
}

// Validate reports what is missing or malformed in a run.
func (r *Run) Validate() error {
	var errs []string
	if r.Schema != SchemaRun {
		errs = append(errs, fmt.Sprintf("schema %q, want %q", r.Schema, SchemaRun))
	}
	if r.EventID == "" || r.RunID == "" || r.Source == "" || r.StartedAt.IsZero() {
		errs = append(errs, "event_id, run_id, source and started_at are required")
	}
	return joinErrs("run", errs)
}

// observationErrors reports what an observation (a listing, vendor or post)
// lacks in its provenance, schema name, event id and natural key (keyName
// is the key's JSON field).
func observationErrors(p *Provenance, schema, wantSchema, eventID, keyName, key string) []string {
	var errs []string
	if p.Source == "" {
		errs = append(errs, "source empty")
	}
	if p.ObservedAt.IsZero() {
		errs = append(errs, "observed_at empty")
	}
	if p.URL == "" {
		errs = append(errs, "url empty")
	}
	if schema != wantSchema {
		errs = append(errs, fmt.Sprintf("schema %q, want %q", schema, wantSchema))
	}
	if eventID == "" {
		errs = append(errs, "event_id empty")
	}
	if key == "" {
		errs = append(errs, keyName+" empty")
	}
	return errs
}

// Cut returns s cut to at most max bytes, on a UTF-8 boundary so that a
// valid string stays valid.
func Cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func joinErrs(what string, errs []string) error {
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalid, what, strings.Join(errs, "; "))
}

func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// Header is the part of every message a loader reads first to route it.
type Header struct {
	Schema  string `json:"schema"`
	EventID string `json:"event_id"`
}

// Decoded is one message decoded by Decode: exactly one of its pointers is set.
type Decoded struct {
	Listing *Listing
	Vendor  *Vendor
	Capture *Capture
	Run     *Run
	Post    *Post
	Thread  *Thread
	// Image and Escalation are photo events (image.go). The loader takes
	// them on their own subjects (DecodeImage); Decode reads them so that
	// every reader of the stream knows every schema.
	Image      *Image
	Escalation *ImageEscalation
}

// ErrUnknownSchema marks a message whose schema this build does not know.
var ErrUnknownSchema = errors.New("unknown schema")

// Decode parses and validates one message. Unknown fields are ignored (the
// versioning rule); an unknown schema, a wrong field type, an oversize message
// or a failed validation is an error saying which.
func Decode(data []byte) (Decoded, error) {
	var d Decoded
	if len(data) > MaxMessage {
		return d, fmt.Errorf("%w: message of %d bytes over the %d byte limit", ErrInvalid, len(data), MaxMessage)
	}
	var h Header
	if err := json.Unmarshal(data, &h); err != nil {
		return d, fmt.Errorf("%w: decoding header: %v", ErrInvalid, err)
	}
	var (
		target interface {
			Validate() error
		}
		err error
	)
	switch h.Schema {
	case SchemaListing:
		d.Listing = new(Listing)
		err, target = json.Unmarshal(data, d.Listing), d.Listing
	case SchemaVendor:
		d.Vendor = new(Vendor)
		err, target = json.Unmarshal(data, d.Vendor), d.Vendor
	case SchemaCapture:
		d.Capture = new(Capture)
		err, target = json.Unmarshal(data, d.Capture), d.Capture
	case SchemaRun:
		d.Run = new(Run)
		err, target = json.Unmarshal(data, d.Run), d.Run
	case SchemaPost:
		d.Post = new(Post)
		err, target = json.Unmarshal(data, d.Post), d.Post
	case SchemaThread:
		d.Thread = new(Thread)
		err, target = json.Unmarshal(data, d.Thread), d.Thread
	case SchemaImage:
		d.Image = new(Image)
		err, target = json.Unmarshal(data, d.Image), d.Image
	case SchemaImageEscalation:
		d.Escalation = new(ImageEscalation)
		err, target = json.Unmarshal(data, d.Escalation), d.Escalation
	default:
		return d, fmt.Errorf("%w %q", ErrUnknownSchema, h.Schema)
	}
	if err != nil {
		return Decoded{}, fmt.Errorf("%w: decoding %s: %v", ErrInvalid, h.Schema, err)
	}
	if err := target.Validate(); err != nil {
		return Decoded{}, err
	}
	return d, nil
}
