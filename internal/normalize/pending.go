package normalize

import (
	"strings"

	"github.com/counternet/counternet/internal/event"
)

func percent(raw string) (float64, error) { return Float(raw) }

func readHistory(fs fields, raw string) []event.HistoryClaim { return nil }

// contactsIn returns the typed contacts of text: the handles Contacts
// finds, with xmpp written jabber; kinds event.ContactKinds does not know
// (threema) are left out.
func contactsIn(text string) []event.Contact {
	var out []event.Contact
	for _, c := range Contacts(text) {
		kind, handle, _ := strings.Cut(c, ":")
		if kind == ContactXMPP {
			kind = "jabber"
		}
		for _, k := range event.ContactKinds {
			if k == kind {
				out = append(out, event.Contact{Kind: kind, Value: handle})
			}
		}
	}
	return out
}
