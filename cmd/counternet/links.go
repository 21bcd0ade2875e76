package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/counternet/counternet/internal/links"
	"github.com/counternet/counternet/internal/stack"
)

// linksCommand is the links entry of the command table.
func linksCommand() *cmdSpec {
	return &cmdSpec{name: "links", summary: "who is behind the handles: vendor identity resolution with probabilities (train, evaluate, build)",
		about: "Resolves vendor identities: which accounts, on one market or several, are one vendor, with a\n" +
			"calibrated probability and each signal's contribution (PGP, crypto, contacts, handle,\n" +
			"writing style, business profile, product photos). See docs/links.md.",
		examples: []string{"counternet links evaluate", "counternet links build"},
		subs: []*cmdSpec{
			{name: "evaluate", run: linksEvaluate, noArgs: true,
				summary:  "train per signal set on fixture identities and print precision, recall, F1 and Brier on held-out ones",
				synopsis: []string{"counternet links evaluate [--realpages DIR]"},
				about: "Trains a model per signal set on identity-noise fixture worlds and measures it on worlds of\n" +
					"other seeds (other identities): pair precision, recall, F1 and Brier score at the model's\n" +
					"threshold, the share of true pairs blocking proposed, the same measures over the clusters,\n" +
					"and how many pairs sharing a PGP key each set links (the PGP-hidden measure is the\n" +
					"pgp-hidden row; all-but-photo and pgp-hidden-no-photo are the same without photos).\n" +
					"--realpages also links the vendors named in the real saved pages.",
				examples: []string{"counternet links evaluate", "counternet links evaluate --realpages ../shared/realpages"}},
			{name: "train", run: linksTrain, noArgs: true,
				summary:  "train the model on fixture identities and write it (internal/links/model.json)",
				synopsis: []string{"counternet links train [--out FILE]"},
				about: "Trains the model over every signal on the training worlds, calibrates it on the calibration\n" +
					"worlds and writes it as JSON, with a description of its training data.",
				examples: []string{"counternet links train --out internal/links/model.json"}},
			{name: "build", run: linksBuild, noArgs: true,
				summary:  "link the vendor accounts in ClickHouse and write vendor_link_scores",
				synopsis: []string{"counternet links build [--model FILE] [--threshold P] [--max-block N]"},
				about: "Reads every vendor account from ClickHouse (profiles, listings, listing photos), scores\n" +
					"the candidate pairs with the model (the committed one unless --model), clusters them at the\n" +
					"threshold and writes the pairs with their probability, contributions and the captured pages\n" +
					"behind each signal to vendor_link_scores as one build. Exports read the latest build.",
				examples: []string{"counternet links build", "counternet links build --threshold 0.9"}},
		}}
}

func linksEvaluate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newBareFlags("links evaluate", stderr)
	real := f.fs.String("realpages", "", "also link the vendors of the real saved pages under DIR")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	start := time.Now()
	ss, err := links.Evaluate(links.SignalSets)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "held-out fixture identities (seeds %v), threshold %.2f; pairs, then clusters (c-), Brier over candidate pairs\n",
		links.TestSeeds, ss[0].Model.Threshold)
	fmt.Fprint(stdout, links.FormatScores(ss))
	fmt.Fprintf(stdout, "true pairs %d, candidate pairs %d (all), %d (pgp-hidden); %s\n", ss[0].TruePairs, ss[0].Candidates, ss[1].Candidates,
		time.Since(start).Round(time.Millisecond))
	if *real != "" {
		rep, err := links.RealPages(*real)
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, rep)
	}
	return nil
}

func linksTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newBareFlags("links train", stderr)
	out := f.fs.String("out", "internal/links/model.json", "write the model here")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	m, err := links.TrainFixture(links.SignalSets[0])
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the model: %w", err)
	}
	fmt.Fprintf(stdout, "model %s written to %s\n%s\n", m.Version, *out, m.Training)
	return nil
}

func linksBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("links build", stderr)
	modelFile := f.fs.String("model", "", "model JSON (default: the committed one)")
	threshold := f.fs.Float64("threshold", 0, "probability at which a pair links (default: the model's)")
	maxBlock := f.fs.Int("max-block", 50, "a blocking key held by more accounts pairs none of them")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if *threshold < 0 || *threshold >= 1 {
		return usageErr("--threshold is a probability below 1, got %g", *threshold)
	}
	m, err := links.DefaultModel()
	if *modelFile != "" {
		var data []byte
		if data, err = os.ReadFile(*modelFile); err == nil {
			m, err = links.ParseModel(data)
		}
	}
	if err != nil {
		return err
	}
	s, err := f.open(ctx, stderr, stack.Need{Warehouse: true, Existing: true})
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	t := *threshold
	if t == 0 {
		t = m.Threshold
	}
	res, n, err := links.Build(ctx, s.DB.Conn(), m, links.Options{Block: links.BlockOptions{MaxBlock: *maxBlock}, Threshold: t}, time.Now())
	if err != nil {
		return err
	}
	st := res.Stats
	fmt.Fprintf(stdout, "accounts %d, candidate pairs %d (%d blocking keys too common to pair), scored %d, written %d, linked %d in %d clusters (%d merges refused), model %s, threshold %.2f\n",
		st.Accounts, st.BlockStats.Candidates, st.BlockStats.SkippedBlocks, st.Scored, n, st.Linked, st.Clusters, st.RefusedMerges, m.Version, t)
	top := slices.Clone(res.Links)
	slices.SortFunc(top, func(a, b links.Link) int {
		switch {
		case a.Probability > b.Probability:
			return -1
		case a.Probability < b.Probability:
			return 1
		}
		return 0
	})
	for _, l := range st.Capped.Lines() {
		fmt.Fprintf(stdout, "  %s\n", l)
	}
	if c := st.BlockStats.CrowdedPhotoBuckets; c > 0 {
		fmt.Fprintf(stdout, "  %d photo hash band buckets held more than 256 hashes and were not compared: near copies meeting only there are not joined\n", c)
	}
	for _, l := range top[:min(len(top), 10)] {
		fmt.Fprintf(stdout, "  %.3f  %s  %s  %s\n", l.Probability, res.Index.Accounts[l.A].Key(), res.Index.Accounts[l.B].Key(), links.Explain(l, m))
	}
	return nil
}
