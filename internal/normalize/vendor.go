package normalize

import (
	"slices"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// Vendor turns an extracted vendor record into a vendor event, with the
// same rules as Listing: fields that do not normalize are left empty and
// flagged ("rating", "sales", "joined", "ships_from", "pgp_fingerprint",
// "pgp"), text is bounded, the record is never dropped. pgp_fingerprint may
// hold several fingerprints separated by , ; | or newlines; a "pgp" field
// (or any field with the pgp parser) holds armored public key blocks whose
// fingerprints are added (PGPKeys), with their user ids (NormalizeUserID)
// and subkey fingerprints, at most 64 of each (more are flagged
// "pgp_user_ids:truncated", "pgp_subkeys:truncated"). Contacts are the items of the contacts
// field, each written "kind:handle" when Contacts recognises it and kept
// as written otherwise, then the handles Contacts finds in the other
// fields; TypedContacts are the handles of every field with their kind.
// Crypto addresses are taken from every field. profile_url defaults to the
// page URL, except for a partial record (a vendor block on a listing
// page). rating is a 0-5 rating only: a percentage is positive feedback
// (feedback_percent, flagged "rating:percent" when that field is also
// set). joined, last_seen keep their time (UTC); joined also as a date.
// ships_to is read as a listing's. Vendor calls Finalize.
func Vendor(rec pipeline.Record, prov event.Provenance) event.Vendor {
	var fl flags
	fs := fields{rec: rec, flags: &fl}
	v := event.Vendor{Provenance: prov}

	v.Handle = fs.text("handle", event.MaxText)
	if v.Handle == "" {
		fl.add("handle")
	}
	v.ProfileURL = fs.text("profile_url", event.MaxText)
	if v.ProfileURL == "" && !rec.Partial {
		// A partial record (a vendor block on a listing page) is not on
		// the vendor's profile page: its URL is not the profile's.
		v.ProfileURL = prov.URL
	}
	if raw, _, ok := fs.get("pgp_fingerprint"); ok {
		for _, part := range splitList(fs, "pgp_fingerprint", raw) {
			fp, err := Fingerprint(part)
			if err != nil {
				fl.add("pgp_fingerprint")
				continue
			}
			if !slices.Contains(v.PGPFingerprints, fp) {
				v.PGPFingerprints = append(v.PGPFingerprints, fp)
			}
		}
	}
	for _, name := range fieldNames(rec) {
		raw, parser, _ := fs.get(name)
		if name != "pgp" && parser != ParserPGP {
			continue
		}
		keys, err := PGPKeys(raw)
		if err != nil {
			fl.add(name)
		}
		for _, k := range keys {
			if !slices.Contains(v.PGPFingerprints, k.Fingerprint) {
				v.PGPFingerprints = append(v.PGPFingerprints, k.Fingerprint)
			}
			for _, u := range k.UserIDs {
				if u = NormalizeUserID(u); u != "" && !slices.Contains(v.PGPUserIDs, u) {
					v.PGPUserIDs = appendBounded(&fl, "pgp_user_ids:truncated", v.PGPUserIDs, u)
				}
			}
			for _, sk := range k.Subkeys {
				if !slices.Contains(v.PGPSubkeys, sk) {
					v.PGPSubkeys = appendBounded(&fl, "pgp_subkeys:truncated", v.PGPSubkeys, sk)
				}
			}
		}
	}
	if r := rating(fs, "rating"); r != nil {
		v.Rating = *r
	}
	if n := fs.count("sales"); n != nil {
		v.Sales = *n
	}
	if v.JoinedAt, _ = fs.date("joined", "joined_raw", prov.ObservedAt); !v.JoinedAt.IsZero() {
		v.Joined = v.JoinedAt.Format(time.DateOnly)
	}
	v.LastSeen, v.LastSeenRaw = fs.date("last_seen", "last_seen_raw", prov.ObservedAt)
	v.FeedbackPercent = feedbackPercent(fs)
	v.Level, v.LevelNum = fs.leveled("level")
	v.TrustLevel, v.TrustLevelNum = fs.leveled("trust_level")
	v.Verified = fs.badge("verified", verifiedRE)
	v.DisputesWon, v.DisputesLost = fs.count("disputes_won"), fs.count("disputes_lost")
	v.HistoryRaw, v.History = historyClaims(fs)
	v.FinalizeEarly = finalizeEarly(fs)
	v.Title = fs.text("title", event.MaxText)
	v.ShipsFrom, v.ShipsFromRegion, v.ShipsFromRaw = shipsFrom(fs)
	if raw, parser, ok := fs.get("ships_to"); ok {
		v.ShipsToRaw = fs.bound("ships_to_raw", raw, event.MaxText)
		v.ShipsTo, v.ShipsToBasis, v.ShipsToExcluded = shipsTo(fs, raw, parser, v.ShipsFrom)
	}
	v.Contacts = vendorContacts(fs)
	v.TypedContacts = typedContacts(fs, fieldNames(rec)...)
	v.Crypto = recordCrypto(fs)
	v.Attributes = attributes(fs, prov.ObservedAt)
	v.Flags = fl
	v.Finalize()
	return v
}

// appendBounded appends s to list unless it holds maxPGPUserIDs values
// already; then it flags flag instead.
func appendBounded(fl *flags, flag string, list []string, s string) []string {
	if len(list) >= maxPGPUserIDs {
		fl.add(flag)
		return list
	}
	return append(list, s)
}

// feedbackPercent reads the feedback_percent field ("98.5%", "98.5"),
// or, without one, a rating field written as a percentage: positive
// feedback on 0-100, never forced into a 0-5 rating. nil when neither is
// shown; flagged when it does not read or lies outside 0-100.
func feedbackPercent(fs fields) *float64 {
	name := "feedback_percent"
	raw, _, ok := fs.get(name)
	if !ok {
		if raw, _, ok = fs.get("rating"); !ok || !strings.Contains(raw, "%") {
			return nil
		}
		name = "rating"
	}
	v, err := Percent(raw)
	if err != nil || v < 0 || v > 100 {
		fs.flags.add(name)
		return nil
	}
	if name == "rating" {
		fs.flags.delete("rating:percent")
	}
	return &v
}

// historyClaims reads the history field: its text bounded and the claims
// of history on other markets it makes.
func historyClaims(fs fields) (string, []event.HistoryClaim) {
	raw := fs.multiline("history", event.MaxDescription)
	if raw == "" {
		return "", nil
	}
	var out []event.HistoryClaim
	for _, c := range HistoryClaims(raw) {
		out = append(out, event.HistoryClaim{Market: event.Cut(c.Market, event.MaxText), Sales: c.Sales,
			Rating: c.Rating, RatingMax: c.RatingMax, Raw: event.Cut(c.Raw, event.MaxText)})
	}
	if len(out) == 0 {
		fs.flags.add("history")
	}
	return raw, out
}
