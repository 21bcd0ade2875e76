package export

import (
	"fmt"
	"slices"
	"strings"

	"github.com/counternet/counternet/internal/reference"
)

// Field is one field a package can carry (see reference.Fields).
type Field = reference.Field

// Fields are every field a package can carry. Forum posts are never
// exported, so post_obs fields never are.
var Fields = reference.Fields

// fieldSet is a set of table.column names.
type fieldSet map[string]bool

func (s fieldSet) has(name string) bool { return s[name] }

// sorted lists the set's names.
func (s fieldSet) sorted() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func matchFields(name string) []Field { return reference.MatchFields(name) }

// minimizeSet resolves --minimize names into the fields to drop. A name
// that matches no field, or only fields that identify records, is an error.
func minimizeSet(names []string) (fieldSet, error) {
	set := fieldSet{}
	var errs []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		fs := matchFields(n)
		if len(fs) == 0 {
			errs = append(errs, fmt.Sprintf("%q: no such field (fields: %s)", n, strings.Join(minimizable(), ", ")))
			continue
		}
		for _, f := range fs {
			if !f.Minimizable {
				errs = append(errs, fmt.Sprintf("%q: %s identifies records and cannot be left out", n, f.Name))
				continue
			}
			set[f.Name] = true
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("minimize: %s", strings.Join(errs, "; "))
	}
	return set, nil
}

func minimizable() []string {
	var out []string
	for _, f := range Fields {
		if f.Minimizable {
			out = append(out, f.Name)
		}
	}
	return out
}

// CheckPolicy says whether a package with the given TLP, carrying every
// field but those in drop, may go to partner. It returns an error wrapping
// ErrRefused that gives the reason: a TLP above the partner's highest, or
// fields the partner excludes, naming the --minimize option that would drop
// them when they can be dropped.
func CheckPolicy(p reference.Partner, tlp string, drop fieldSet) error {
	want, max := reference.TLPRank(tlp), reference.TLPRank(p.MaxTLP)
	if want < 0 {
		return fmt.Errorf("%w: TLP %q: want one of %s", ErrRefused, tlp, strings.Join(reference.TLPs, ", "))
	}
	if max < 0 {
		return fmt.Errorf("%w: partner %s has no valid max_tlp (%q)", ErrRefused, p.ID, p.MaxTLP)
	}
	if want > max {
		return fmt.Errorf("%w: TLP:%s is above TLP:%s, the highest partner %s (%s) may receive",
			ErrRefused, strings.ToUpper(tlp), strings.ToUpper(p.MaxTLP), p.ID, p.Agency)
	}
	var held, fixed []string
	for _, ex := range p.ExcludedFields {
		for _, f := range matchFields(ex) {
			if drop.has(f.Name) {
				continue
			}
			if f.Minimizable {
				held = append(held, f.Name)
			} else {
				fixed = append(fixed, f.Name)
			}
		}
	}
	switch {
	case len(fixed) > 0:
		return fmt.Errorf("%w: partner %s excludes %s, which identifies records: no package can go to them without it",
			ErrRefused, p.ID, strings.Join(fixed, ", "))
	case len(held) > 0:
		return fmt.Errorf("%w: partner %s excludes %s; leave it out with --minimize %s",
			ErrRefused, p.ID, strings.Join(held, ", "), strings.Join(held, ","))
	}
	return nil
}
