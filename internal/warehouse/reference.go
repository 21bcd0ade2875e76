package warehouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/reference"
)

// referenceTables are replaced by LoadReference, in this order.
var referenceTables = []string{"countries", "regions", "treaty_memberships", "cooperation_channels", "cooperation_texts", "cooperation_pairs"}

// referenceFormat changes when LoadReference writes tables it did not
// write before (0140: cooperation_texts and cooperation_pairs), so that a
// warehouse loaded by an older version is loaded again.
const referenceFormat = "cooperation_pairs v1"

// LoadReference writes the reference data into the tables countries,
// regions, treaty_memberships, cooperation_channels (the catalog of legal
// bases), cooperation_texts and cooperation_pairs (the legal bases between
// every ordered pair of countries, reference.CooperationTable), and ref.Partners
// into partners when ref.Partners is not nil. Each load replaces the
// tables' content (TRUNCATE, then INSERT). A load whose data is the same as
// the last one recorded in reference_loads is skipped, so calling it at
// every start is cheap; it reports whether it wrote anything.
func (db *DB) LoadReference(ctx context.Context, ref *reference.Data) (bool, error) {
	sum := referenceSum(ref)
	var last string
	row := db.conn.QueryRow(ctx, "SELECT argMax(sha256, loaded_at) FROM reference_loads")
	if err := row.Scan(&last); err != nil {
		return false, fmt.Errorf("loading reference data into %s: reading reference_loads: %w", db.database, err)
	}
	if last == sum {
		return false, nil
	}
	start := time.Now()
	now := start.UTC().Truncate(time.Second)
	tables := referenceTables
	if ref.Partners != nil {
		tables = append(tables[:len(tables):len(tables)], "partners")
	}
	for _, t := range tables {
		if err := db.truncate(ctx, t); err != nil {
			return false, fmt.Errorf("loading reference data into %s: emptying %s: %w", db.database, t, err)
		}
	}
	if err := db.insertCountries(ctx, ref.Countries, now); err != nil {
		return false, err
	}
	if err := db.insertRegions(ctx, ref.Regions, now); err != nil {
		return false, err
	}
	if err := db.insertMemberships(ctx, ref.Memberships, now); err != nil {
		return false, err
	}
	if err := db.insertChannels(ctx, ref, now); err != nil {
		return false, err
	}
	if ref.Partners != nil {
		if err := db.insertPartners(ctx, ref.Partners, now); err != nil {
			return false, err
		}
	}
	err := db.insert(ctx, "reference_loads", 1, []column{
		{"sha256", []string{sum}}, {"countries", []uint32{uint32(len(ref.Countries))}},
		{"partners", []uint32{uint32(len(ref.Partners))}}, {"loaded_at", []time.Time{now}},
	})
	if err != nil {
		return false, fmt.Errorf("loading reference data: %w", err)
	}
	db.log.Info().Int("countries", len(ref.Countries)).Int("memberships", len(ref.Memberships)).
		Int("partners", len(ref.Partners)).Dur("took", time.Since(start)).Msg("reference data loaded")
	return true, nil
}

// referenceSum identifies a load: the reference files' hash and the
// partner directory's content.
func referenceSum(ref *reference.Data) string {
	h := sha256.New()
	h.Write([]byte(ref.SHA256))
	h.Write([]byte("\x00" + referenceFormat))
	if ref.Partners != nil {
		h.Write([]byte("\x00partners"))
	}
	for _, p := range ref.Partners {
		for _, s := range []string{p.ID, p.Agency, p.Country, p.Contact, p.SigningKey, p.EncryptionKey, p.MaxTLP, strings.Join(p.ExcludedFields, "\x01")} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (db *DB) insertCountries(ctx context.Context, cs []reference.Country, now time.Time) error {
	n := len(cs)
	var (
		iso2, iso3, num, name, region, sub, inter = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		eu, schengen, eio, eaw, budUnc            = mk[uint8](n), mk[uint8](n), mk[uint8](n), mk[uint8](n), mk[uint8](n)
		europol, bud, budIF, p2, p2IF, untoc      = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		common                                    = mk[string](n)
		at                                        = mk[time.Time](n)
	)
	for i, c := range cs {
		common[i] = reference.CommonName(c)
		iso2[i], iso3[i], num[i], name[i] = c.ISO2, c.ISO3, c.Numeric, c.Name
		region[i], sub[i], inter[i] = c.Region, c.SubRegion, c.IntermediateRegion
		eu[i], schengen[i], eio[i], eaw[i] = boolUInt8(c.EUMember), boolUInt8(c.Schengen), boolUInt8(c.EIO), boolUInt8(c.EAW)
		europol[i], bud[i], budIF[i], budUnc[i] = c.Europol, c.Budapest, c.BudapestInForce, boolUInt8(c.BudapestUncertain)
		p2[i], p2IF[i], untoc[i], at[i] = c.BudapestP2, c.BudapestP2InForce, c.UNTOC, now
	}
	return db.insert(ctx, "countries", n, []column{
		{"iso2", iso2}, {"iso3", iso3}, {"numeric", num}, {"name", name}, {"region", region},
		{"sub_region", sub}, {"intermediate_region", inter}, {"eu_member", eu}, {"schengen", schengen},
		{"eio", eio}, {"eaw", eaw}, {"europol", europol}, {"budapest", bud}, {"budapest_in_force", budIF},
		{"budapest_uncertain", budUnc}, {"budapest_p2", p2}, {"budapest_p2_in_force", p2IF},
		{"untoc", untoc}, {"common_name", common}, {"loaded_at", at},
	})
}

func (db *DB) insertRegions(ctx context.Context, rs []reference.Region, now time.Time) error {
	var (
		region, rule, iso2 []string
		aliases            [][]string
		extra              []uint8
		at                 []time.Time
	)
	for _, r := range rs {
		add := func(code string, isExtra bool) {
			region, rule, iso2 = append(region, r.Name), append(rule, r.Rule), append(iso2, code)
			aliases, extra, at = append(aliases, r.Aliases), append(extra, boolUInt8(isExtra)), append(at, now)
		}
		for _, c := range r.Codes {
			add(c, false)
		}
		for _, c := range r.Extras {
			add(c, true)
		}
	}
	if len(region) == 0 {
		return nil
	}
	return db.insert(ctx, "regions", len(region), []column{
		{"region", region}, {"aliases", aliases}, {"rule", rule}, {"iso2", iso2}, {"extra", extra}, {"loaded_at", at},
	})
}

func (db *DB) insertMemberships(ctx context.Context, ms []reference.Membership, now time.Time) error {
	n := len(ms)
	if n == 0 {
		return nil
	}
	var (
		treaty, iso2, status, signed, ratified, inForce = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		basis, note, file                               = mk[string](n), mk[string](n), mk[string](n)
		unc                                             = mk[uint8](n)
		at                                              = mk[time.Time](n)
	)
	for i, m := range ms {
		treaty[i], iso2[i], status[i] = m.Treaty, m.ISO2, m.Status
		signed[i], ratified[i], inForce[i] = m.Signed, m.Ratified, m.InForce
		basis[i], note[i], unc[i], file[i], at[i] = m.Basis, m.Note, boolUInt8(m.Uncertain), m.File, now
	}
	return db.insert(ctx, "treaty_memberships", n, []column{
		{"treaty", treaty}, {"iso2", iso2}, {"status", status}, {"signed", signed}, {"ratified", ratified},
		{"in_force", inForce}, {"basis", basis}, {"note", note}, {"uncertain", unc}, {"file", file}, {"loaded_at", at},
	})
}

// insertChannels writes the catalog of legal bases, and the legal bases
// between every ordered pair of countries with their texts.
func (db *DB) insertChannels(ctx context.Context, ref *reference.Data, now time.Time) error {
	cs := ref.Catalog
	n := len(cs)
	var (
		id, name, basis, cond, dual = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		rank                        = mk[uint8](n)
		at                          = mk[time.Time](n)
	)
	for i, c := range cs {
		id[i], rank[i], name[i], basis[i], cond[i], dual[i], at[i] = c.ID, c.Rank, c.Name, c.LegalBasis, c.Condition, c.DualCriminality, now
	}
	err := db.insert(ctx, "cooperation_channels", n, []column{
		{"channel", id}, {"rank", rank}, {"name", name}, {"legal_basis", basis}, {"condition", cond},
		{"dual_criminality", dual}, {"loaded_at", at},
	})
	if err != nil {
		return err
	}
	pairs, texts := ref.CooperationTable()
	if err := db.insertTexts(ctx, texts, now); err != nil {
		return err
	}
	return db.insertPairs(ctx, pairs, now)
}

func (db *DB) insertTexts(ctx context.Context, ts []reference.BasisText, now time.Time) error {
	n := len(ts)
	if n == 0 {
		return nil
	}
	var (
		id                                       = mk[uint32](n)
		instrument, provisions, serves, why, src = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		unverified                               = mk[[]string](n)
		at                                       = mk[time.Time](n)
	)
	for i, t := range ts {
		for _, u := range t.Unverified {
			// The view joins them with newlines to put the names in.
			if strings.Contains(u, "\n") {
				return fmt.Errorf("loading reference data: cooperation text %d: a newline in an unverified fact: %q", t.ID, u)
			}
		}
		id[i], instrument[i], provisions[i], serves[i], why[i], src[i] = t.ID, t.Instrument, t.Provisions, t.Use, t.Why, t.Source
		unverified[i], at[i] = t.Unverified, now
		if unverified[i] == nil {
			unverified[i] = []string{}
		}
	}
	return db.insert(ctx, "cooperation_texts", n, []column{
		{"text_id", id}, {"instrument", instrument}, {"provisions", provisions}, {"serves", serves},
		{"reason", why}, {"sources", src}, {"unverified", unverified}, {"loaded_at", at},
	})
}

// pairRows are inserted in batches of this many rows.
const pairRows = 50000

func (db *DB) insertPairs(ctx context.Context, ps []reference.PairBasis, now time.Time) error {
	for len(ps) > 0 {
		n := min(len(ps), pairRows)
		var (
			req, partner, channel         = mk[string](n), mk[string](n), mk[string](n)
			rank, primary, gap, unc, held = mk[uint8](n), mk[uint8](n), mk[uint8](n), mk[uint8](n), mk[uint8](n)
			text                          = mk[uint32](n)
			at                            = mk[time.Time](n)
		)
		for i, p := range ps[:n] {
			req[i], partner[i], channel[i], rank[i] = p.Requesting, p.Partner, p.Channel, p.Rank
			primary[i], gap[i], unc[i], held[i] = boolUInt8(p.Primary), boolUInt8(p.Gap), boolUInt8(p.Uncertain), boolUInt8(p.DataHeldOnly)
			text[i], at[i] = p.Text, now
		}
		err := db.insert(ctx, "cooperation_pairs", n, []column{
			{"requesting", req}, {"partner", partner}, {"channel", channel}, {"rank", rank}, {"is_primary", primary},
			{"gap", gap}, {"uncertain", unc}, {"data_held_only", held}, {"text_id", text}, {"loaded_at", at},
		})
		if err != nil {
			return err
		}
		ps = ps[n:]
	}
	return nil
}

func (db *DB) insertPartners(ctx context.Context, ps []reference.Partner, now time.Time) error {
	n := len(ps)
	if n == 0 {
		return nil
	}
	var (
		id, agency, country, contact, sign, enc, tlp = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		excluded                                     = mk[[]string](n)
		at                                           = mk[time.Time](n)
	)
	for i, p := range ps {
		id[i], agency[i], country[i], contact[i] = p.ID, p.Agency, p.Country, p.Contact
		sign[i], enc[i], tlp[i], excluded[i], at[i] = p.SigningKey, p.EncryptionKey, p.MaxTLP, p.ExcludedFields, now
	}
	return db.insert(ctx, "partners", n, []column{
		{"id", id}, {"agency", agency}, {"country", country}, {"contact", contact}, {"signing_key", sign},
		{"encryption_key", enc}, {"max_tlp", tlp}, {"excluded_fields", excluded}, {"loaded_at", at},
	})
}
