package console

import (
	"net/http"

	"github.com/counternet/counternet/internal/auth"
)

type listingData struct {
	Market, ListingID string
	History, Evidence table
}

// listing shows one listing's price history and the captured pages it
// rests on (saved queries listing-history and listing-evidence).
func (s *Server) listing(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	d := listingData{Market: r.PathValue("market"), ListingID: r.PathValue("id")}
	params := map[string]string{"market": d.Market, "listing_id": d.ListingID}
	res, err := s.saved(r.Context(), "listing-history", params, maxTableRows)
	if err != nil {
		s.failErr(w, r, sess, "reading the price history", err)
		return
	}
	if len(res.Rows) == 0 {
		s.fail(w, r, sess, http.StatusNotFound, "No listing "+d.ListingID+" was seen on "+d.Market+".")
		return
	}
	d.History = asTable(res)
	if res, err = s.saved(r.Context(), "listing-evidence", params, maxTableRows); err != nil {
		s.failErr(w, r, sess, "reading the listing's evidence", err)
		return
	}
	d.Evidence = asTable(res)
	var notes []string
	if d.History.Truncated {
		notes = append(notes, "Only the first 1000 observations are shown.")
	}
	s.render(w, r, sess, "listing", "Listing "+d.ListingID, d, notes...)
}
