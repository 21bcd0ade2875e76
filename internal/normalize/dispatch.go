package normalize

import (
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// Record turns an extracted record of any type into its event: the one
// path the collector, `pipeline extract --normalized`, `pipeline test` and
// the real-page tests share. flags points at the event's Flags, so a caller
// can add its own (charset, merged_from). ok is false for a record type
// that has no event.
func Record(rec pipeline.Record, prov event.Provenance, rates Rates, markets []string) (ev any, flags *[]string, ok bool) {
	switch rec.Type {
	case pipeline.RecordListing:
		l := Listing(rec, prov, rates)
		return &l, &l.Flags, true
	case pipeline.RecordVendor:
		v := Vendor(rec, prov)
		return &v, &v.Flags, true
	case pipeline.RecordPost:
		p := Post(rec, prov, markets)
		return &p, &p.Flags, true
	case pipeline.RecordThread:
		t := Thread(rec, prov)
		return &t, &t.Flags, true
	}
	return nil, nil, false
}
