package normalize

import "github.com/counternet/counternet/internal/event"

// typedContacts returns the contact handles TypedContacts finds in the named fields,
// each with its kind, in field order, without duplicates, at most
// maxListItems.
func typedContacts(fs fields, names ...string) []event.Contact {
	var out []event.Contact
	for _, name := range names {
		raw, _, ok := fs.get(name)
		if !ok {
			continue
		}
		for _, c := range TypedContacts(raw) {
			if len(out) == maxListItems {
				fs.flags.add("contacts:truncated")
				return out
			}
			if ec := (event.Contact{Kind: c.Kind, Value: c.Value}); !containsContact(out, ec) {
				out = append(out, ec)
			}
		}
	}
	return out
}

func containsContact(cs []event.Contact, c event.Contact) bool {
	for _, o := range cs {
		if o == c {
			return true
		}
	}
	return false
}
