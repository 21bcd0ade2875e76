package pipeline

import "maps"

// Merge combines the records of one run that describe the same thing: records
// of the same type whose natural key (NaturalKey) has the same value become
// one record, at the place the first of them had. Merging is field by field,
// richest first:
//
//   - a full record wins over a partial one (Record.Partial, from a rule
//     marked partial such as the tiles of a listing grid): its fields replace
//     theirs, and the merged record takes its URL and is no longer partial;
//   - between records of the same kind the one with more fields wins
//     conflicts and takes the URL (the first seen when they have as many),
//     and every other only adds the fields the merged record lacks.
//
// So a thin vendor record from a listing page never pushes out the richer
// one of the vendor's profile page, whatever order the pages came in.
// Records of an unknown type or without their key pass through unchanged.
//
// Merge is pure: it neither changes records nor shares their field maps.
// A collector calls it once per (source, run) over every record the run
// extracted, before normalizing, so a listing seen on a grid page and on its
// product page yields one event.
func Merge(records []Record) []Record {
	type id struct{ typ, key string }
	out := make([]Record, 0, len(records))
	at := map[id]int{}
	for _, r := range records {
		keyField := naturalKeys[r.Type]
		key, ok := r.Fields[keyField]
		if keyField == "" || !ok || key.Raw == "" {
			out = append(out, clone(r))
			continue
		}
		k := id{r.Type, key.Raw}
		i, seen := at[k]
		if !seen {
			at[k] = len(out)
			out = append(out, clone(r))
			continue
		}
		out[i] = MergeTwo(out[i], r)
	}
	return out
}

// MergeTwo merges record b into record a (same type and key) as Merge does:
// the full one, else the richer one (a on a tie), wins conflicts; the other
// adds the fields the winner lacks. Neither record's field map is changed.
func MergeTwo(a, b Record) Record {
	win, other := a, b
	switch {
	case a.Partial != b.Partial:
		if a.Partial {
			win, other = b, a
		}
	case len(b.Fields) > len(a.Fields):
		win, other = b, a
	}
	m := clone(win)
	for name, f := range other.Fields {
		if _, have := m.Fields[name]; !have {
			m.Fields[name] = f
		}
	}
	return m
}

// Adds reports whether merging b into a gives a record a does not hold:
// a field a lacks, or a conflicting value b would win.
func Adds(a, b Record) bool {
	m := MergeTwo(a, b)
	if len(m.Fields) != len(a.Fields) || m.Partial != a.Partial {
		return true
	}
	for name, f := range m.Fields {
		if a.Fields[name] != f {
			return true
		}
	}
	return false
}

func clone(r Record) Record {
	r.Fields = maps.Clone(r.Fields)
	if r.Fields == nil {
		r.Fields = map[string]Field{}
	}
	return r
}
