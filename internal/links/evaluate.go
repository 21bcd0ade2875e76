package links

import (
	"fmt"
	"slices"
	"strings"

	"github.com/counternet/counternet/internal/fixture"
)

// The evaluation: identity-noise fixture worlds (fixture.GenerateWith with
// Identities) of different seeds are different identities, so splitting by
// seed splits by identity, never by pair: weights are fitted on the
// training worlds, calibrated on others, and measured on held-out worlds.

// Seeds of the training, calibration and held-out (test) worlds.
var (
	TrainSeeds = []int64{1, 2, 3, 4, 5, 6, 7, 8}
	CalibSeeds = []int64{9, 10, 11}
	TestSeeds  = []int64{101, 102, 103, 104, 105, 106, 107, 108, 109, 110}
)

// Lambda is the L2 penalty models are trained with.
const Lambda = 0.1

// SignalSet is a named set of signals the evaluation trains a model on.
type SignalSet struct {
	Name    string
	Signals []string
}

// SignalSets are the sets `links evaluate` reports; every set reads the
// same-market prior.
var SignalSets = []SignalSet{
	{"all", []string{SignalPGP, SignalCrypto, SignalContact, SignalHandle, SignalStyle, SignalBusiness, SignalPhoto, SignalMarket}},
	{"pgp-hidden", []string{SignalCrypto, SignalContact, SignalHandle, SignalStyle, SignalBusiness, SignalPhoto, SignalMarket}},
	{"all-but-photo", []string{SignalPGP, SignalCrypto, SignalContact, SignalHandle, SignalStyle, SignalBusiness, SignalMarket}},
	{"pgp-hidden-no-photo", []string{SignalCrypto, SignalContact, SignalHandle, SignalStyle, SignalBusiness, SignalMarket}},
	{"identifiers", []string{SignalPGP, SignalCrypto, SignalContact, SignalMarket}},
	{"handle", []string{SignalHandle, SignalMarket}},
	{"style", []string{SignalStyle, SignalMarket}},
	{"business", []string{SignalBusiness, SignalMarket}},
	{"photo", []string{SignalPhoto, SignalMarket}},
	{"all-but-style", []string{SignalPGP, SignalCrypto, SignalContact, SignalHandle, SignalBusiness, SignalPhoto, SignalMarket}},
}

// world is one generated world ready for evaluation.
type world struct {
	seed      int64
	ix        *Index
	identity  []int
	forum     []bool // the account is a forum author
	truePairs int
	// per blocking mode (with PGP keys, without): candidates and features
	pairs [2][][2]int32
	x     [2][][]float64
	ev    [2][][]Evidence
}

func loadWorld(seed int64) (*world, error) {
	fw := fixture.GenerateWith(seed, fixture.Options{Identities: true})
	accounts, identity, err := FixtureAccounts(fw)
	if err != nil {
		return nil, fmt.Errorf("fixture world %d: %w", seed, err)
	}
	w := &world{seed: seed, ix: NewIndex(accounts), identity: identity, forum: make([]bool, len(accounts))}
	for i, a := range accounts {
		w.forum[i] = fw.Forum(a.Source) != nil
	}
	n := map[int]int{}
	for _, id := range identity {
		n[id]++
	}
	for _, k := range n {
		w.truePairs += k * (k - 1) / 2
	}
	for mode := range 2 {
		pairs, _ := w.ix.Candidates(BlockOptions{NoPGP: mode == 1})
		w.pairs[mode] = pairs
		for _, p := range pairs {
			x, ev := w.ix.pairFeatures(int(p[0]), int(p[1]), false)
			w.x[mode] = append(w.x[mode], x)
			w.ev[mode] = append(w.ev[mode], ev)
		}
	}
	return w, nil
}

func (w *world) same(p [2]int32) bool { return w.identity[p[0]] == w.identity[p[1]] }

func mode(set []string) int {
	if slices.Contains(set, SignalPGP) {
		return 0
	}
	return 1
}

func examples(ws []*world, md int) []Example {
	var out []Example
	for _, w := range ws {
		for i, p := range w.pairs[md] {
			out = append(out, Example{X: w.x[md][i], Same: w.same(p)})
		}
	}
	return out
}

// alsoWithoutPhotos returns ex followed by a copy of each example with
// the photo features 0. Every fixture account shows photos, but the
// collector fetches them only where a site file names them: without these
// copies the model would learn that a pair with no photo in common is not
// one vendor, and a shared PGP key or address on a market whose photos
// are not collected would no longer link.
func alsoWithoutPhotos(ex []Example) []Example {
	first := 0
	for _, s := range signals {
		if s.name == SignalPhoto {
			break
		}
		first += len(s.features)
	}
	out := slices.Clone(ex)
	for _, e := range ex {
		x := slices.Clone(e.X)
		for k := range photoFeatures {
			x[first+k] = 0
		}
		out = append(out, Example{X: x, Same: e.Same})
	}
	return out
}

func loadWorlds(seeds ...[]int64) ([][]*world, error) {
	out := make([][]*world, len(seeds))
	for k, ss := range seeds {
		for _, s := range ss {
			w, err := loadWorld(s)
			if err != nil {
				return nil, err
			}
			out[k] = append(out[k], w)
		}
	}
	return out, nil
}

// Describe says what a model trained by TrainFixture was trained on.
func describeTraining(train, calib []*world, md int) string {
	acc, pos, neg := 0, 0, 0
	for _, w := range train {
		acc += len(w.ix.Accounts)
		for _, p := range w.pairs[md] {
			if w.same(p) {
				pos++
			} else {
				neg++
			}
		}
	}
	cacc := 0
	for _, w := range calib {
		cacc += len(w.ix.Accounts)
	}
	return fmt.Sprintf("fixture identity-noise worlds: trained on seeds %v (%d accounts; %d candidate pairs of one identity, %d of two), "+
		"calibrated on seeds %v (%d accounts), L2 %.2g; held-out seeds %v", seedsOf(train), acc, pos, neg, seedsOf(calib), cacc, Lambda, seedsOf(nil))
}

func seedsOf(ws []*world) []int64 {
	if ws == nil {
		return TestSeeds
	}
	var out []int64
	for _, w := range ws {
		out = append(out, w.seed)
	}
	return out
}

// TrainFixture trains the model of set on the training worlds and
// calibrates it on the calibration worlds.
func TrainFixture(set SignalSet) (*Model, error) {
	ws, err := loadWorlds(TrainSeeds, CalibSeeds)
	if err != nil {
		return nil, err
	}
	return trainOn(set, ws[0], ws[1])
}

func trainOn(set SignalSet, train, calib []*world) (*Model, error) {
	md := mode(set.Signals)
	tr, ca := examples(train, md), examples(calib, md)
	about := describeTraining(train, calib, md)
	if slices.Contains(set.Signals, SignalPhoto) {
		tr, ca = alsoWithoutPhotos(tr), alsoWithoutPhotos(ca)
		about += "; every pair also shown without photos"
	}
	m, err := Train(set.Signals, tr, ca, Lambda, about)
	if err != nil {
		return nil, fmt.Errorf("signal set %s: %w", set.Name, err)
	}
	return m, nil
}

// Scores are the measures of one signal set on the held-out worlds.
type Scores struct {
	Set                string
	TruePairs          int     // pairs of accounts of one identity
	Candidates         int     // candidate pairs blocking gave
	BlockRecall        float64 // share of the true pairs among the candidates
	Precision, Recall  float64 // pairs at or above the threshold
	F1, Brier          float64 // Brier over the candidate pairs
	ClusterPrecision   float64 // pairs put in one cluster
	ClusterRecall, CF1 float64
	// PGPPairs and PGPRecall: pairs sharing a PGP key and the share of
	// them linked (the PGP-hidden measure, for sets without pgp).
	PGPPairs  int
	PGPRecall float64
	Model     *Model
}

// Evaluate trains a model per signal set and measures it on the held-out
// worlds.
func Evaluate(sets []SignalSet) ([]Scores, error) {
	ws, err := loadWorlds(TrainSeeds, CalibSeeds, TestSeeds)
	if err != nil {
		return nil, err
	}
	train, calib, test := ws[0], ws[1], ws[2]
	var out, forum []Scores
	for _, set := range sets {
		m, err := trainOn(set, train, calib)
		if err != nil {
			return nil, err
		}
		out = append(out, measure(set.Name, m, test, nil))
		if set.Name == "all" {
			forum = append(forum, measure(ForumMarketSet, m, test, forumMarket))
		}
	}
	return append(out, forum...), nil
}

// ForumMarketSet names the scores Evaluate adds after the others when
// it measures the set "all": the same model on the pairs of a forum author
// and a market account only.
const ForumMarketSet = "all:forum-market"

// forumMarket keeps the pairs of a forum author and a market account.
func forumMarket(w *world, a, b int) bool { return w.forum[a] != w.forum[b] }

// measure scores m on the test worlds: on every pair, or with keep on the
// pairs keep says (their true pairs, candidates and clustered pairs).
func measure(name string, m *Model, test []*world, keep func(w *world, a, b int) bool) Scores {
	s := Scores{Set: name, Model: m}
	md := mode(m.Signals)
	var tp, fp, candTrue, ctp, cfp, cfn, pgpLinked int
	var brier float64
	for _, w := range test {
		if keep == nil {
			s.TruePairs += w.truePairs
		}
		var links []Link
		for i, p := range w.pairs[md] {
			pr, _ := m.Score(w.x[md][i], w.ev[md][i])
			links = append(links, Link{A: int(p[0]), B: int(p[1]), Probability: pr})
			if keep != nil && !keep(w, int(p[0]), int(p[1])) {
				continue
			}
			y := 0.0
			if w.same(p) {
				y = 1
				candTrue++
			}
			brier += (pr - y) * (pr - y)
			s.Candidates++
			if pr >= m.Threshold {
				if y == 1 {
					tp++
				} else {
					fp++
				}
			}
		}
		cl, _ := cluster(w.ix, m, links, m.Threshold, 0.5)
		for a := range cl {
			for b := a + 1; b < len(cl); b++ {
				if keep != nil && !keep(w, a, b) {
					continue
				}
				together, same := cl[a] == cl[b], w.identity[a] == w.identity[b]
				if keep != nil && same {
					s.TruePairs++
				}
				switch {
				case together && same:
					ctp++
				case together:
					cfp++
				case same:
					cfn++
				}
				if shared(w.ix.Accounts[a].PGP, w.ix.Accounts[b].PGP) != nil {
					s.PGPPairs++
					if together {
						pgpLinked++
					}
				}
			}
		}
	}
	s.BlockRecall = ratio(candTrue, s.TruePairs)
	s.Precision, s.Recall = ratio(tp, tp+fp), ratio(tp, s.TruePairs)
	s.F1 = f1(s.Precision, s.Recall)
	s.Brier = brier / float64(max(s.Candidates, 1))
	s.ClusterPrecision, s.ClusterRecall = ratio(ctp, ctp+cfp), ratio(ctp, ctp+cfn)
	s.CF1 = f1(s.ClusterPrecision, s.ClusterRecall)
	s.PGPRecall = ratio(pgpLinked, s.PGPPairs)
	return s
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// FormatScores renders scores as a table.
func FormatScores(ss []Scores) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-19s %6s %6s %6s %6s %6s %7s %7s %7s %8s %10s\n", "signals", "prec", "recall", "F1", "Brier",
		"block", "c-prec", "c-recall", "c-F1", "pgp-pairs", "pgp-recall")
	for _, s := range ss {
		fmt.Fprintf(&b, "%-19s %6.3f %6.3f %6.3f %6.4f %6.3f %7.3f %7.3f %7.3f %8d %10.3f\n", s.Set, s.Precision, s.Recall, s.F1, s.Brier,
			s.BlockRecall, s.ClusterPrecision, s.ClusterRecall, s.CF1, s.PGPPairs, s.PGPRecall)
	}
	return b.String()
}
