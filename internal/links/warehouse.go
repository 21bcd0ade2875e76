package links

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// The warehouse side: accounts read from the observations in ClickHouse,
// links written to vendor_link_scores (migration 0120).

// MaxTextsPerAccount bounds the distinct descriptions read per account,
// and maxTextChars the characters of each.
const (
	MaxTextsPerAccount = 40
	maxTextChars       = 2000
)

// ReadAccounts reads every vendor account the warehouse knows (vendor
// profiles and the vendors of listings) and every forum author (post_obs,
// posts.go) with what its pages show.
func ReadAccounts(ctx context.Context, conn driver.Conn) ([]Account, error) {
	byKey := map[string]*Account{}
	var order []string
	get := func(source, handle string) *Account {
		k := source + ":" + handle
		if a, ok := byKey[k]; ok {
			return a
		}
		a := &Account{Source: source, Handle: handle, Captures: map[string]string{}}
		byKey[k] = a
		order = append(order, k)
		return a
	}
	if err := readProfiles(ctx, conn, get); err != nil {
		return nil, err
	}
	if err := readListings(ctx, conn, get); err != nil {
		return nil, err
	}
	if err := readPrices(ctx, conn, get); err != nil {
		return nil, err
	}
	if err := readPhotos(ctx, conn, get); err != nil {
		return nil, err
	}
	if err := readPosts(ctx, conn, get); err != nil {
		return nil, err
	}
	if err := readIdentifierCaptures(ctx, conn, byKey); err != nil {
		return nil, err
	}
	out := make([]Account, len(order))
	for i, k := range order {
		out[i] = *byKey[k]
	}
	return out, nil
}

func readProfiles(ctx context.Context, conn driver.Conn, get func(string, string) *Account) error {
	rows, err := conn.Query(ctx, "SELECT source, handle, argMax(pgp_fingerprints, observed_at), argMax(crypto_addresses, observed_at), "+
		"argMax(contact_kinds, observed_at), argMax(contact_values, observed_at), argMax(ships_from, observed_at), "+
		"argMax(history_markets, observed_at), argMax(capture_sha256, observed_at), "+
		"argMax(pgp_user_ids, observed_at), argMax(pgp_subkeys, observed_at) "+
		"FROM vendor_obs WHERE handle != '' GROUP BY source, handle ORDER BY source, handle")
	if err != nil {
		return fmt.Errorf("reading vendor profiles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var source, handle, from, capture string
		var pgp, crypto, kinds, values, claims, uids, subkeys []string
		if err := rows.Scan(&source, &handle, &pgp, &crypto, &kinds, &values, &from, &claims, &capture, &uids, &subkeys); err != nil {
			return fmt.Errorf("reading vendor profiles: %w", err)
		}
		a := get(source, handle)
		a.PGP, a.Crypto, a.ShipsFrom = addAll(a.PGP, pgp...), addAll(a.Crypto, crypto...), from
		a.addPGPKeys(uids, subkeys, capture)
		for i := range min(len(kinds), len(values)) {
			c := kinds[i] + ":" + strings.ToLower(values[i])
			a.Contacts = addAll(a.Contacts, c)
			a.Captures["contact:"+c] = capture
		}
		for _, c := range claims {
			c = strings.ToLower(c)
			a.Claims = addAll(a.Claims, c)
			a.Captures["claim:"+c] = capture
		}
		a.Captures["handle"], a.Captures["business"] = capture, capture
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading vendor profiles: %w", err)
	}
	return nil
}

func readListings(ctx context.Context, conn driver.Conn, get func(string, string) *Account) error {
	// Distinct descriptions first, then at most MaxTextsPerAccount of them
	// per vendor (18.16's groupUniqArray takes no size).
	rows, err := conn.Query(ctx, fmt.Sprintf("SELECT source, vendor, groupArray(%d)(d), groupUniqArrayArray(t), groupUniqArrayArray(c), "+
		"argMax(f, at), argMax(cap, at) FROM ("+
		"SELECT source, vendor, substring(description, 1, %d) AS d, groupUniqArrayArray(ships_to) AS t, groupUniqArrayArray(crypto_addresses) AS c, "+
		"argMax(ships_from, observed_at) AS f, argMax(capture_sha256, observed_at) AS cap, max(observed_at) AS at "+
		"FROM listing_obs WHERE vendor != '' GROUP BY source, vendor, d) "+
		"GROUP BY source, vendor ORDER BY source, vendor", MaxTextsPerAccount, maxTextChars))
	if err != nil {
		return fmt.Errorf("reading listings by vendor: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var source, handle, from, capture string
		var texts, to, crypto []string
		if err := rows.Scan(&source, &handle, &texts, &to, &crypto, &from, &capture); err != nil {
			return fmt.Errorf("reading listings by vendor: %w", err)
		}
		a := get(source, handle)
		for _, t := range texts {
			a.AddText(t)
			before := len(a.Contacts)
			a.addFromText(t)
			for _, c := range a.Contacts[before:] {
				a.Captures["contact:"+c] = capture
			}
		}
		for _, c := range a.Claims {
			if a.Captures["claim:"+c] == "" {
				a.Captures["claim:"+c] = capture
			}
		}
		a.ShipsTo, a.Crypto = addAll(a.ShipsTo, to...), addAll(a.Crypto, crypto...)
		if a.ShipsFrom == "" {
			a.ShipsFrom = from
		}
		a.Captures["text"] = capture
		if a.Captures["handle"] == "" {
			a.Captures["handle"], a.Captures["business"] = capture, capture
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading listings by vendor: %w", err)
	}
	return nil
}

func readPrices(ctx context.Context, conn driver.Conn, get func(string, string) *Account) error {
	rows, err := conn.Query(ctx, "SELECT source, vendor, category, median(price_usd / quantity) FROM listing_obs "+
		"WHERE vendor != '' AND category != '' AND price_usd > 0 AND quantity > 0 GROUP BY source, vendor, category "+
		"ORDER BY source, vendor, category")
	if err != nil {
		return fmt.Errorf("reading prices by vendor: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var source, handle, cat string
		var p float64
		if err := rows.Scan(&source, &handle, &cat, &p); err != nil {
			return fmt.Errorf("reading prices by vendor: %w", err)
		}
		a := get(source, handle)
		if a.Prices == nil {
			a.Prices = map[string]float64{}
		}
		a.Prices[cat] = p
		a.Categories = addAll(a.Categories, cat)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading prices by vendor: %w", err)
	}
	return nil
}

// readPhotos reads the photos each vendor's listings show (listing_images,
// outcome ok): per account at most MaxPhotos distinct files, those on the
// most listings first, each with the latest listing page showing it. A
// blocklisted photo is never in listing_images (internal/images).
func readPhotos(ctx context.Context, conn driver.Conn, get func(string, string) *Account) error {
	rows, err := conn.Query(ctx, fmt.Sprintf("SELECT source, vendor, sha256, any(phash), argMax(capture_sha256, observed_at), "+
		"uniqExact(listing_id) AS n FROM listing_images WHERE outcome = 'ok' AND vendor != '' AND sha256 != '' "+
		"GROUP BY source, vendor, sha256 ORDER BY source, vendor, n DESC, sha256 LIMIT %d BY source, vendor", MaxPhotos))
	if err != nil {
		return fmt.Errorf("reading listing photos: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var source, handle, sha, capture string
		var phash, n uint64
		if err := rows.Scan(&source, &handle, &sha, &phash, &capture, &n); err != nil {
			return fmt.Errorf("reading listing photos: %w", err)
		}
		get(source, handle).AddPhoto(Photo{SHA256: sha, PHash: phash}, capture)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading listing photos: %w", err)
	}
	return nil
}

// readIdentifierCaptures takes the page showing each fingerprint and
// address from vendor_identifiers.
func readIdentifierCaptures(ctx context.Context, conn driver.Conn, byKey map[string]*Account) error {
	rows, err := conn.Query(ctx, "SELECT source, handle, kind, value, capture_sha256 FROM vendor_identifiers "+
		"WHERE kind IN ('pgp_fingerprint', 'crypto_address')")
	if err != nil {
		return fmt.Errorf("reading the pages showing identifiers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var source, handle, kind, value, capture string
		if err := rows.Scan(&source, &handle, &kind, &value, &capture); err != nil {
			return fmt.Errorf("reading the pages showing identifiers: %w", err)
		}
		a := byKey[source+":"+handle]
		if a == nil {
			continue
		}
		if kind == "pgp_fingerprint" {
			a.Captures["pgp:"+strings.ToUpper(value)] = capture
		} else {
			a.Captures["crypto:"+value] = capture
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the pages showing identifiers: %w", err)
	}
	return nil
}

// Build scores the vendor accounts stored in the warehouse with m and
// writes every scored pair to vendor_link_scores as one build at now, the
// pairs at or above threshold (0: the model's) linked. It returns the
// resolution and the rows written. `counternet links build` and the demo
// run it.
func Build(ctx context.Context, conn driver.Conn, m *Model, o Options, now time.Time) (*Result, int, error) {
	accounts, err := ReadAccounts(ctx, conn)
	if err != nil {
		return nil, 0, err
	}
	if o.Threshold == 0 {
		o.Threshold = m.Threshold
	}
	capped, err := ReadCapped(ctx, conn)
	if err != nil {
		return nil, 0, err
	}
	res := Resolve(accounts, m, o)
	res.Stats.Capped = capped
	n, err := WriteScores(ctx, conn, res, m, o.Threshold, now)
	if err != nil {
		return nil, 0, err
	}
	return res, n, nil
}

// scoreColumns are the columns WriteScores inserts.
const scoreColumns = "built_at, model_version, source_a, handle_a, source_b, handle_b, probability, linked, threshold, " +
	"cluster, baseline, signals, contributions, evidence, captures_a, captures_b"

// WriteScores writes the links of res, scored by m at threshold, to
// vendor_link_scores as one build at builtAt; it returns the rows written.
func WriteScores(ctx context.Context, conn driver.Conn, res *Result, m *Model, threshold float64, builtAt time.Time) (int, error) {
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO vendor_link_scores ("+scoreColumns+")")
	if err != nil {
		return 0, fmt.Errorf("writing link scores: %w", err)
	}
	defer batch.Abort()
	accts := res.Index.Accounts
	for _, l := range res.Links {
		a, b := &accts[l.A], &accts[l.B]
		if a.Source > b.Source || (a.Source == b.Source && a.Handle > b.Handle) {
			a, b = b, a
			l = flipped(l)
		}
		cl := ""
		if l.Linked {
			cl = accts[res.Cluster[l.A]].Key()
		}
		n := len(l.Contributions)
		sigs, cons, evs, ca, cb := make([]string, n), make([]float64, n), make([]string, n), make([]string, n), make([]string, n)
		for i, c := range l.Contributions {
			sigs[i], cons[i], evs[i], ca[i], cb[i] = c.Signal, c.LogOdds, c.Value, c.CaptureA, c.CaptureB
		}
		linked := uint8(0)
		if l.Linked {
			linked = 1
		}
		if err := batch.Append(builtAt.UTC(), m.Version, a.Source, a.Handle, b.Source, b.Handle, l.Probability, linked, threshold,
			cl, m.Baseline(), sigs, cons, evs, ca, cb); err != nil {
			return 0, fmt.Errorf("writing link scores: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return 0, fmt.Errorf("writing link scores: %w", err)
	}
	return len(res.Links), nil
}

// flipped swaps the sides of a link's evidence.
func flipped(l Link) Link {
	cs := make([]Contribution, len(l.Contributions))
	for i, c := range l.Contributions {
		c.CaptureA, c.CaptureB = c.CaptureB, c.CaptureA
		cs[i] = c
	}
	l.A, l.B, l.Contributions = l.B, l.A, cs
	return l
}
