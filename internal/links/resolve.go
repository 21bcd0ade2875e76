package links

import (
	"cmp"
	"slices"
	"time"
)

// Link is one scored candidate pair of accounts.
type Link struct {
	A, B          int // indexes into the accounts
	Probability   float64
	Contributions []Contribution
	// Linked is set when the pair is at or above the model's threshold and
	// the clustering joined it (see Cluster).
	Linked bool
}

// Options of Resolve.
type Options struct {
	Block BlockOptions
	// Threshold is the probability at which a pair links; 0 means the
	// model's. MinAverage is the least mean probability over all pairs of
	// two clusters that a merge needs; 0 means 0.5.
	Threshold, MinAverage float64
	// Keep is the least probability of a pair kept in Result.Links (all
	// pairs are scored); 0 keeps those of 0.01 and above.
	Keep float64
}

// Result is what Resolve found.
type Result struct {
	Index *Index
	Links []Link
	// Cluster gives each account's cluster: the index of its
	// lowest-numbered account.
	Cluster []int
	Stats   Stats
}

// Stats says what linking did and what it cost.
type Stats struct {
	Accounts       int
	BlockStats     BlockStats
	Scored         int
	Linked         int
	RefusedMerges  int // merges the average-linkage guard refused
	Clusters       int // clusters of two or more accounts
	Block, Score   time.Duration
	ClusterElapsed time.Duration
	// Capped is what Build's reading left out of the accounts to bound
	// their signals (ReadCapped); zero from Resolve alone.
	Capped Capped
}

// Resolve links accounts with m.
func Resolve(accounts []Account, m *Model, o Options) *Result {
	t0 := time.Now()
	ix := NewIndex(accounts)
	pairs, bs := ix.Candidates(o.Block)
	res := &Result{Index: ix}
	res.Stats.Accounts, res.Stats.BlockStats = len(accounts), bs
	t1 := time.Now()
	res.Stats.Block = t1.Sub(t0)
	if o.Keep == 0 {
		o.Keep = 0.01
	}
	if o.Threshold == 0 {
		o.Threshold = m.Threshold
	}
	if o.MinAverage == 0 {
		o.MinAverage = 0.5
	}
	for _, p := range pairs {
		x, _ := ix.pairFeatures(int(p[0]), int(p[1]), false)
		pr, _ := m.Score(x, nil)
		res.Stats.Scored++
		if pr >= o.Keep {
			x, ev := ix.pairFeatures(int(p[0]), int(p[1]), true)
			_, cs := m.Score(x, ev)
			res.Links = append(res.Links, Link{A: int(p[0]), B: int(p[1]), Probability: pr, Contributions: cs})
		}
	}
	t2 := time.Now()
	res.Stats.Score = t2.Sub(t1)
	res.Cluster, res.Stats.RefusedMerges = cluster(ix, m, res.Links, o.Threshold, o.MinAverage)
	sizes := map[int]int{}
	for _, c := range res.Cluster {
		sizes[c]++
	}
	for _, n := range sizes {
		if n > 1 {
			res.Stats.Clusters++
		}
	}
	for i := range res.Links {
		l := &res.Links[i]
		if l.Probability >= o.Threshold && res.Cluster[l.A] == res.Cluster[l.B] {
			l.Linked = true
			res.Stats.Linked++
		}
	}
	res.Stats.ClusterElapsed = time.Since(t2)
	return res
}

// maxMergeSize bounds the pairs a merge scores: two clusters whose
// product of sizes is larger are not merged.
const maxMergeSize = 1024

// cluster joins accounts over links at or above threshold, strongest
// first (union-find). A merge of two clusters is refused when the mean
// probability over every pair across them (scored now when blocking did
// not pair them) is below minAvg: one weak link does not chain two
// groups together.
func cluster(ix *Index, m *Model, links []Link, threshold, minAvg float64) ([]int, int) {
	n := len(ix.Accounts)
	parent := make([]int, n)
	members := make([][]int, n)
	for i := range parent {
		parent[i], members[i] = i, []int{i}
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	known := map[[2]int]float64{}
	order := make([]int, 0, len(links))
	for i, l := range links {
		known[[2]int{l.A, l.B}] = l.Probability
		if l.Probability >= threshold {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(links[b].Probability, links[a].Probability) })
	prob := func(a, b int) float64 {
		if a > b {
			a, b = b, a
		}
		if p, ok := known[[2]int{a, b}]; ok {
			return p
		}
		x, _ := ix.pairFeatures(a, b, false)
		p, _ := m.Score(x, nil)
		known[[2]int{a, b}] = p
		return p
	}
	refused := 0
	for _, k := range order {
		ra, rb := find(links[k].A), find(links[k].B)
		if ra == rb {
			continue
		}
		if len(members[ra])*len(members[rb]) > 1 {
			if len(members[ra])*len(members[rb]) > maxMergeSize {
				refused++
				continue
			}
			var sum float64
			for _, a := range members[ra] {
				for _, b := range members[rb] {
					sum += prob(a, b)
				}
			}
			if sum/float64(len(members[ra])*len(members[rb])) < minAvg {
				refused++
				continue
			}
		}
		if ra > rb {
			ra, rb = rb, ra
		}
		parent[rb] = ra
		members[ra] = append(members[ra], members[rb]...)
		members[rb] = nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = find(i)
	}
	return out, refused
}
