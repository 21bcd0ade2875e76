package cases

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/counternet/counternet/internal/export"
)

// Review is what an approver sees before approving: what the package will
// hold, computed from the request's own selection (the one the build
// uses), its TLP, the fields it leaves out and the form of its evidence.
type Review struct {
	Request ExportRequest
	// Partner, PartnerAgency and PartnerCountry name the recipient;
	// PartnerMaxTLP is the highest TLP it may receive.
	Partner, PartnerAgency, PartnerCountry, PartnerMaxTLP string
	TLP                                                   string
	Selection                                             string // the selection in one line
	// Counts per kind of what the selection holds now: listings (each
	// listing once), vendors (identities offering them), vendor_profiles
	// (selected vendors' profiles), markets, routes (origin>destination
	// pairs of the listings' latest state), crypto_addresses (on the
	// listings), listing_pages (captured pages of the listings' latest
	// observations). The built package's manifest adds the identities
	// linked to them; its counts are in Request.Counts once built.
	Counts map[string]uint64
	// Excluded are the fields the package leaves out (the requester's and
	// the partner's); PartnerExcludes the partner's own list.
	Excluded        []string
	PartnerExcludes []string
	// Evidence says what evidence goes: "none", "full pages" or "index of
	// pages (hashes)"; pages showing an excluded field always go as an
	// index.
	Evidence string
}

// Review summarizes a request for its approver (an approver or admin, the
// requester, or a member of its case may read it). Audited as
// export_review.
func (s *Service) Review(ctx context.Context, a Actor, id string) (*Review, error) {
	r, err := s.ExportRequest(ctx, a, id)
	if err != nil {
		return nil, err
	}
	rv := &Review{Request: *r, Partner: r.Partner, TLP: r.TLP, Selection: r.Selection.Describe(), Excluded: r.Minimize}
	if p, err := s.partner(r.Partner); err == nil {
		rv.PartnerAgency, rv.PartnerCountry, rv.PartnerMaxTLP, rv.PartnerExcludes = p.Agency, p.Country, p.MaxTLP, p.ExcludedFields
	}
	switch {
	case !r.Evidence:
		rv.Evidence = "none"
	case r.EvidenceForm == export.EvidenceIndex || pagesExcluded(r.Minimize):
		rv.Evidence = "index of pages (hashes)"
	default:
		rv.Evidence = "full pages"
	}
	if rv.Counts, err = s.selectionCounts(ctx, r.Selection); err != nil {
		return nil, err
	}
	return rv, s.audit(ctx, a, "export_review", id, r.CaseID, r.RequestedBy, AuditOK, "")
}

// pagesExcluded reports whether a captured page can show a left-out
// field, so that the exporter sends an index of the pages instead.
func pagesExcluded(minimize []string) bool {
	for _, f := range export.Fields {
		if f.Page {
			for _, m := range minimize {
				if m == f.Name {
					return true
				}
			}
		}
	}
	return false
}

// reviewSettings raise the query size limit, as the exporter does, since
// vendor lists are bound into the query text.
var reviewSettings = clickhouse.Settings{"max_query_size": 64 << 20}

// selectionCounts counts what a selection holds now.
func (s *Service) selectionCounts(ctx context.Context, sel export.Selection) (map[string]uint64, error) {
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(reviewSettings))
	where, args := sel.Where()
	latest := "SELECT source, listing_id, argMax(vendor, observed_at) AS v, argMax(ships_from, observed_at) AS f, " +
		"argMax(ships_to, observed_at) AS ts, argMax(crypto_addresses, observed_at) AS addrs, argMax(capture_sha256, observed_at) AS cap " +
		"FROM listing_obs" + where + " GROUP BY source, listing_id"
	var listings, vendors, markets, pages, routes, addrs uint64
	err := s.DB.Conn().QueryRow(ctx, "SELECT count(), uniqExact(concat(source, ':', v)), uniqExact(source), uniqExact(cap) "+
		"FROM ("+latest+")", args...).Scan(&listings, &vendors, &markets, &pages)
	if err != nil {
		return nil, fmt.Errorf("counting the selection: %w", err)
	}
	if err := s.DB.Conn().QueryRow(ctx, "SELECT uniqExact(f, t) FROM ("+latest+") ARRAY JOIN ts AS t", args...).Scan(&routes); err != nil {
		return nil, fmt.Errorf("counting the selection's routes: %w", err)
	}
	if err := s.DB.Conn().QueryRow(ctx, "SELECT uniqExact(a) FROM ("+latest+") ARRAY JOIN addrs AS a", args...).Scan(&addrs); err != nil {
		return nil, fmt.Errorf("counting the selection's crypto addresses: %w", err)
	}
	counts := map[string]uint64{"listings": listings, "vendors": vendors, "markets": markets, "routes": routes,
		"crypto_addresses": addrs, "listing_pages": pages, "vendor_profiles": 0}
	if where, args := sel.VendorWhere(); where != "" {
		var n uint64
		if err := s.DB.Conn().QueryRow(ctx, "SELECT uniqExact(source, handle) FROM vendor_obs"+where, args...).Scan(&n); err != nil {
			return nil, fmt.Errorf("counting the selection's vendor profiles: %w", err)
		}
		counts["vendor_profiles"] = n
	}
	return counts, nil
}
