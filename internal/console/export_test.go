package console

import "context"

// LinksForTest runs the vendor profile's link computation for a handle and
// returns each link as vendor-links' columns and each pair as
// "market:handle confidence kinds".
func (s *Server) LinksForTest(ctx context.Context, handle string) (links [][]string, pairs []string, err error) {
	d := &vendorData{Handle: handle}
	if err := s.vendorLinks(ctx, d); err != nil {
		return nil, nil, err
	}
	for _, l := range d.Links {
		links = append(links, []string{l.MarketA, l.HandleA, l.MarketB, l.HandleB, l.Kind, l.Strength, l.Evidence, l.CaptureA, l.CaptureB})
	}
	for _, p := range d.Pairs {
		pairs = append(pairs, p.Market+":"+p.Handle+" "+p.Confidence+" "+joinNonEmpty(p.Kinds))
	}
	return links, pairs, nil
}
