package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/warehouse"
)

// Kinds of watched items.
const (
	WatchHandle = "handle"          // a vendor handle on any market, and the PGP keys and addresses it shows
	WatchPGP    = "pgp_fingerprint" // a PGP key fingerprint
	WatchCrypto = "crypto_address"  // a crypto address
	WatchRoute  = "route_into"      // routes into a country (alpha-2)
)

// Watch is one item of a case's watchlist.
type Watch struct {
	ID      string
	CaseID  string
	Kind    string // WatchHandle, WatchPGP, WatchCrypto or WatchRoute
	Value   string // normalized: handle lower case, fingerprint upper hex, address as checksummed, country upper
	Note    string
	AddedBy string
	AddedAt time.Time
	// Known is how many vendor identities (or route origins) were already
	// known when the item was added: none of them raises an alert.
	Known int
}

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// NormalizeWatch checks a watched value of kind and returns it in the form
// the warehouse stores it: a handle trimmed and lower-cased, a fingerprint
// as 40 upper-case hex digits, a crypto address that passes its checksum,
// a destination country as an ISO 3166-1 alpha-2 code.
func NormalizeWatch(kind, value string) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", invalid("%s: empty value", kind)
	}
	switch kind {
	case WatchHandle:
		if len(value) > maxUser || strings.ContainsAny(value, "\x00\n\r\t") {
			return "", invalid("handle %q: too long or holds control characters", value)
		}
		return strings.ToLower(value), nil
	case WatchPGP:
		fp, err := normalize.Fingerprint(value)
		if err != nil {
			return "", invalid("PGP fingerprint %q: %v", value, err)
		}
		return fp, nil
	case WatchCrypto:
		addr, ok := normalize.CryptoAddress(value)
		if !ok {
			return "", invalid("crypto address %q: not a valid mainnet address (checksum or form)", value)
		}
		return addr.Address, nil
	case WatchRoute:
		cc := strings.ToUpper(value)
		if !countryCode.MatchString(cc) {
			return "", invalid("route into %q: want an ISO 3166-1 alpha-2 code", value)
		}
		return cc, nil
	}
	return "", invalid("watch kind %q: want %s, %s, %s or %s", kind, WatchHandle, WatchPGP, WatchCrypto, WatchRoute)
}

// watchID is derived from case, kind and value.
func watchID(caseID, kind, value string) string {
	h := sha256.Sum256([]byte(caseID + "\x00" + kind + "\x00" + value))
	return "w-" + hex.EncodeToString(h[:10])
}

var watchColumns = []string{"case_id", "watch_id", "kind", "value", "note", "added_by", "added_at", "removed", "removed_by", "version"}

// AddWatch adds an item to a case's watchlist (lead or member). What the
// warehouse already shows of it is recorded first, so the watcher raises
// alerts only for what appears afterwards. Adding an item the case already
// watches changes its note. Audited as watch_add.
func (s *Service) AddWatch(ctx context.Context, a Actor, caseID, kind, value, note string) (*Watch, error) {
	if _, err := s.caseFor(ctx, a, caseID, "watch_add", CaseMember); err != nil {
		return nil, err
	}
	v, err := NormalizeWatch(kind, value)
	if err != nil {
		return nil, err
	}
	if note, err = text("note", note, maxText, false); err != nil {
		return nil, err
	}
	// The server's clock, which stamps inserted_at: the watcher's first
	// scan starts from the earliest added_at.
	now, err := serverNow(ctx, s.DB)
	if err != nil {
		return nil, fmt.Errorf("watching %s %s: %w", kind, v, err)
	}
	w := &Watch{ID: watchID(caseID, kind, v), CaseID: caseID, Kind: kind, Value: v, Note: note, AddedBy: a.User, AddedAt: now}
	if w.Known, err = recordKnown(ctx, s.DB, w); err != nil {
		return nil, fmt.Errorf("watching %s %s: %w", kind, v, err)
	}
	if err := insertRows(ctx, s.DB, "watchlist", watchColumns,
		[]any{caseID, w.ID, kind, v, note, a.User, w.AddedAt, uint8(0), "", nextVersion()}); err != nil {
		return nil, fmt.Errorf("watching %s %s: %w", kind, v, err)
	}
	return w, s.audit(ctx, a, "watch_add", w.ID, caseID, "", AuditOK, fmt.Sprintf("%s %s (%d known)", kind, v, w.Known))
}

// RemoveWatch removes an item from a case's watchlist (lead or member); its
// alerts stay. Audited as watch_remove.
func (s *Service) RemoveWatch(ctx context.Context, a Actor, caseID, watchID string) error {
	if _, err := s.caseFor(ctx, a, caseID, "watch_remove", CaseMember); err != nil {
		return err
	}
	ws, err := loadWatches(ctx, s.DB, caseID)
	if err != nil {
		return err
	}
	for _, w := range ws {
		if w.ID == watchID {
			if err := insertRows(ctx, s.DB, "watchlist", watchColumns,
				[]any{caseID, w.ID, w.Kind, w.Value, w.Note, w.AddedBy, dbTime(w.AddedAt), uint8(1), a.User, nextVersion()}); err != nil {
				return fmt.Errorf("removing watch %s: %w", watchID, err)
			}
			return s.audit(ctx, a, "watch_remove", watchID, caseID, "", AuditOK, w.Kind+" "+w.Value)
		}
	}
	return fmt.Errorf("%w: case %s watches no %q", ErrNotFound, caseID, watchID)
}

// Watchlist lists what a case watches (any case role, or an admin).
func (s *Service) Watchlist(ctx context.Context, a Actor, caseID string) ([]Watch, error) {
	if _, err := s.caseFor(ctx, a, caseID, "view_case", CaseViewer); err != nil {
		return nil, err
	}
	return loadWatches(ctx, s.DB, caseID)
}

// loadWatches reads the current watchlist of caseID, or of every case
// when caseID is "".
func loadWatches(ctx context.Context, db *warehouse.DB, caseID string) ([]Watch, error) {
	q := "SELECT case_id, watch_id, kind, value, note, added_by, added_at FROM watchlist FINAL WHERE removed = 0"
	var args []any
	if caseID != "" {
		q += " AND case_id = ?"
		args = append(args, caseID)
	}
	q += fmt.Sprintf(" ORDER BY case_id, added_at, watch_id LIMIT %d", maxWatches+1)
	rows, err := db.Conn().Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading watchlists: %w", err)
	}
	defer rows.Close()
	var out []Watch
	for rows.Next() {
		var w Watch
		if err := rows.Scan(&w.CaseID, &w.ID, &w.Kind, &w.Value, &w.Note, &w.AddedBy, &w.AddedAt); err != nil {
			return nil, fmt.Errorf("reading watchlists: %w", err)
		}
		w.AddedAt = w.AddedAt.UTC()
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading watchlists: %w", err)
	}
	if len(out) > maxWatches {
		return nil, fmt.Errorf("reading watchlists: more than %d watched items; the watcher does not scan a part of them silently", maxWatches)
	}
	return out, nil
}

// maxWatches bounds the watched items of all cases together.
const maxWatches = 50000

// maxKnown bounds the identities or origins recorded as known for one item.
const maxKnown = 100000

// serverNow is the ClickHouse server's clock.
func serverNow(ctx context.Context, db *warehouse.DB) (time.Time, error) {
	var now time.Time
	if err := db.Conn().QueryRow(ctx, "SELECT now()").Scan(&now); err != nil {
		return now, fmt.Errorf("reading the server's clock: %w", err)
	}
	return now.UTC(), nil
}

// identifierStates reads (source, handle, kind, value) of the vendor
// identifiers matching cond, from the tables behind the vendor_identifiers
// view (migration 0101) without merging their states: the view merges
// every identity before it filters. A row may come more than once; cond's
// parameters are bound twice.
func identifierStates(cond string) string {
	return "SELECT source, handle, kind, value FROM vendor_identifiers_state WHERE " + cond +
		" UNION ALL SELECT source, handle, kind, value FROM vendor_identifiers_backfill WHERE " + cond
}

// routeStates reads columns of the routes matching cond from the small
// per-route, per-week tables maintained as listings arrive (routes_prices
// and its backfill, migration 0102: one row per route and week, every
// listing observation counted); cond's parameters are bound twice.
func routeStates(columns, cond string) string {
	return "SELECT " + columns + " FROM routes_prices WHERE " + cond + " UNION ALL SELECT " + columns + " FROM routes_prices_backfill WHERE " + cond
}

// recordKnown writes into watch_known what the warehouse shows of w now
// and returns how many rows that is.
func recordKnown(ctx context.Context, db *warehouse.DB, w *Watch) (int, error) {
	var q string
	var args []any
	switch w.Kind {
	case WatchRoute:
		q = "SELECT DISTINCT '' AS source, '' AS handle, ships_from AS origin FROM (" + routeStates("ships_from", "ships_to = ? AND ships_from != ''") + ")"
		args = []any{w.Value, w.Value}
	case WatchHandle:
		q = "SELECT DISTINCT source, lower(handle) AS handle, '' AS origin FROM (" + identifierStates("(kind = 'handle' AND value = ?) OR "+
			"(kind IN ('pgp_fingerprint', 'crypto_address') AND value IN (SELECT value FROM ("+
			identifierStates("kind IN ('pgp_fingerprint', 'crypto_address') AND lower(handle) = ?")+")))") + ")"
		args = []any{w.Value, w.Value, w.Value, w.Value, w.Value, w.Value}
	case WatchPGP, WatchCrypto:
		q = "SELECT DISTINCT source, lower(handle) AS handle, '' AS origin FROM (" + identifierStates("kind = ? AND value = ?") + ")"
		args = []any{w.Kind, w.Value, w.Kind, w.Value}
	default:
		return 0, fmt.Errorf("%w: watch kind %q", ErrInvalid, w.Kind)
	}
	rows, err := db.Conn().Query(ctx, q+fmt.Sprintf(" LIMIT %d", maxKnown+1), args...)
	if err != nil {
		return 0, fmt.Errorf("reading what is known of %s %s: %w", w.Kind, w.Value, err)
	}
	defer rows.Close()
	var known [][]any
	at := dbTime(time.Now())
	for rows.Next() {
		var source, handle, origin string
		if err := rows.Scan(&source, &handle, &origin); err != nil {
			return 0, fmt.Errorf("reading what is known of %s %s: %w", w.Kind, w.Value, err)
		}
		known = append(known, []any{w.ID, source, handle, origin, at})
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("reading what is known of %s %s: %w", w.Kind, w.Value, err)
	}
	if len(known) > maxKnown {
		return 0, fmt.Errorf("%w: %s %s is already known on more than %d vendor identities or routes; watch something narrower", ErrInvalid, w.Kind, w.Value, maxKnown)
	}
	if len(known) == 0 {
		return 0, nil
	}
	if err := insertRows(ctx, db, "watch_known", []string{"watch_id", "source", "handle", "origin", "at"}, known...); err != nil {
		return 0, err
	}
	return len(known), nil
}
