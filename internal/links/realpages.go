package links

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// RealPages links the vendors the real saved pages under dir name (their
// <page>.truth.yaml files, read by hand from the pages: vendor names,
// titles and origins of their items) with the committed model, and says
// what it found: which vendors recur across markets and how the model
// scores them. These pages show few signals (no keys, addresses or
// contacts beyond an odd title), so this tells how far handle, title text
// and origin carry, not how well the model does.
func RealPages(dir string) (string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.truth.yaml"))
	if err != nil || len(files) == 0 {
		return "", fmt.Errorf("reading real pages: no */*.truth.yaml under %s", dir)
	}
	byKey := map[string]*Account{}
	var order []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("reading real pages: %w", err)
		}
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return "", fmt.Errorf("reading real pages: %s: %w", f, err)
		}
		market := filepath.Base(filepath.Dir(f))
		add := func(handle, title, from string) {
			if handle == "" {
				return
			}
			k := market + ":" + handle
			a := byKey[k]
			if a == nil {
				a = &Account{Source: market, Handle: handle, Captures: map[string]string{"handle": filepath.Base(f)}}
				byKey[k] = a
				order = append(order, k)
			}
			if title != "" {
				a.AddText(title)
				a.addFromText(title)
			}
			if from != "" && a.ShipsFrom == "" {
				a.ShipsFrom = from
			}
		}
		walkVendors(doc, add)
	}
	accounts := make([]Account, len(order))
	for i, k := range order {
		accounts[i] = *byKey[k]
	}
	m, err := DefaultModel()
	if err != nil {
		return "", err
	}
	res := Resolve(accounts, m, Options{})
	var b strings.Builder
	markets := map[string]bool{}
	for _, a := range accounts {
		markets[a.Source] = true
	}
	fmt.Fprintf(&b, "real pages (%s): %d vendor accounts named on %d markets; %d candidate pairs, %d scored at 0.01 or above, %d linked at %.2f\n",
		dir, len(accounts), len(markets), res.Stats.BlockStats.Candidates, len(res.Links), res.Stats.Linked, m.Threshold)
	recur := map[string][]string{}
	for _, a := range accounts {
		recur[Skeleton(a.Handle)] = append(recur[Skeleton(a.Handle)], a.Key())
	}
	var names []string
	for s, ks := range recur {
		if len(ks) > 1 {
			names = append(names, s+" ("+strings.Join(ks, ", ")+")")
		}
	}
	slices.Sort(names)
	fmt.Fprintf(&b, "  handles recurring (same skeleton on two accounts): %d %v\n", len(names), names)
	slices.SortFunc(res.Links, func(x, y Link) int {
		switch {
		case x.Probability > y.Probability:
			return -1
		case x.Probability < y.Probability:
			return 1
		}
		return 0
	})
	for _, l := range res.Links[:min(len(res.Links), 10)] {
		fmt.Fprintf(&b, "  %.3f  %s  %s  %s\n", l.Probability, accounts[l.A].Key(), accounts[l.B].Key(), Explain(l, m))
	}
	return b.String(), nil
}

// walkVendors finds the vendors a truth file names: "vendor" as a name or
// a map with "name", the keys of "vendors_on_page", and with an item's
// vendor its title and ships_from.
func walkVendors(v any, add func(handle, title, from string)) {
	switch t := v.(type) {
	case map[string]any:
		str := func(k string) string { s, _ := t[k].(string); return s }
		switch vd := t["vendor"].(type) {
		case string:
			add(vd, str("title"), str("ships_from"))
		case map[string]any:
			if n, ok := vd["name"].(string); ok {
				add(n, str("title"), str("ships_from"))
			}
		}
		if vs, ok := t["vendors_on_page"].(map[string]any); ok {
			for h := range vs {
				add(h, "", "")
			}
		}
		for _, x := range t {
			walkVendors(x, add)
		}
	case []any:
		for _, x := range t {
			walkVendors(x, add)
		}
	}
}
