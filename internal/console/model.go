package console

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/counternet/counternet/internal/export"
)

// modelPair is the identity model's word on one of the vendor's accounts
// and another account (the latest `counternet links build`): the
// probability that one vendor is behind both, and why, signal by signal.
// It is shown with its contributions, never as a bare label.
type modelPair struct {
	Account, Other      string // market:handle of the vendor's account and of the other
	OtherMarket, Handle string
	Probability         float64
	Linked              bool // at or above the build's threshold and clustered together
	Baseline            float64
	Signals             []modelSignal
	ModelVersion        string
}

// modelSignal is one signal's contribution to a pair's log-odds, with the
// evidence it rests on and the captured pages showing it on each side.
type modelSignal struct {
	Signal, Evidence, CaptureA, CaptureB string
	LogOdds                              float64
}

// maxModelPairs bounds the model rows a profile shows (most probable first).
const maxModelPairs = 200

// modelLinks reads the latest links build's scores for the vendor's
// accounts (export.LinkScores: the same reader the export uses).
func (s *Server) modelLinks(ctx context.Context, d *vendorData) error {
	keys := make([]string, 0, len(d.Accounts))
	mine := map[string]bool{}
	for _, a := range d.Accounts {
		k := a.Market + ":" + a.Handle
		keys = append(keys, k)
		mine[k] = true
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.QueryTimeout)
	defer cancel()
	start := time.Now()
	pairs, err := export.LinkScores(ctx, s.opts.Conn, keys)
	logOf(ctx).add("-- the identity model's scores (vendor_link_scores)", time.Since(start))
	if err != nil {
		return fmt.Errorf("identity model: %w", err)
	}
	for i := range pairs {
		p := &pairs[i]
		m := modelPair{Account: p.KeyA(), Other: p.KeyB(), OtherMarket: p.SourceB, Handle: p.HandleB,
			Probability: p.Score.Probability, Linked: p.Score.Linked, Baseline: p.Score.Baseline, ModelVersion: p.Score.ModelVersion}
		capMine, capOther := p.CapturesA, p.CapturesB
		if !mine[p.KeyA()] {
			m.Account, m.Other, m.OtherMarket, m.Handle = p.KeyB(), p.KeyA(), p.SourceA, p.HandleA
			capMine, capOther = p.CapturesB, p.CapturesA
		}
		for j, sig := range p.Score.Signals {
			m.Signals = append(m.Signals, modelSignal{Signal: sig, Evidence: p.Score.Evidence[j], LogOdds: p.Score.Contribution[j],
				CaptureA: capMine[j], CaptureB: capOther[j]})
		}
		if len(m.Signals) == 0 {
			m.Signals = []modelSignal{{Signal: "(none: the baseline alone)"}}
		}
		d.Model = append(d.Model, m)
	}
	sort.SliceStable(d.Model, func(i, j int) bool { return d.Model[i].Probability > d.Model[j].Probability })
	if len(d.Model) > maxModelPairs {
		d.ModelCut = len(d.Model) - maxModelPairs
		d.Model = d.Model[:maxModelPairs]
	}
	return nil
}
