package pipeline

import "maps"

// Merge combines the records of one run that describe the same thing: records
// of the same type whose natural key (NaturalKey) has the same value become
// one record, at the place the first of them had. A full record wins over a
// partial one (Record.Partial, from a rule marked partial such as the tiles
// of a listing grid): its fields replace theirs, and the merged record takes
// its URL and is no longer partial. Between records of the same kind the
// first seen wins and later ones only add fields it lacks. Records of an
// unknown type or without their key pass through unchanged.
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
		m := &out[i]
		if m.Partial && !r.Partial {
			for name, f := range r.Fields {
				m.Fields[name] = f
			}
			m.Partial, m.URL = false, r.URL
			continue
		}
		for name, f := range r.Fields {
			if _, have := m.Fields[name]; !have {
				m.Fields[name] = f
			}
		}
	}
	return out
}

func clone(r Record) Record {
	r.Fields = maps.Clone(r.Fields)
	if r.Fields == nil {
		r.Fields = map[string]Field{}
	}
	return r
}
