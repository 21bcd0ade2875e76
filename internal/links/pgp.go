package links

import (
	"strings"

	"github.com/counternet/counternet/internal/normalize"
)

// UserIDKey is how the pgp signal compares a key's user ID (as
// normalize.NormalizeUserID gives it): its e-mail address when it names
// one, otherwise the whole id, lower-cased. Two keys made with one
// vendor's address share it whatever name or comment they carry.
func UserIDKey(uid string) string {
	if e := normalize.UserIDEmail(normalize.NormalizeUserID(uid)); e != "" {
		return e
	}
	return strings.ToLower(strings.TrimSpace(uid))
}

// addPGPKeys adds the user IDs and subkeys of keys (as vendor_obs holds
// them), each shown on the page capture.
func (a *Account) addPGPKeys(uids, subkeys []string, capture string) {
	for _, u := range uids {
		if k := UserIDKey(u); k != "" {
			a.PGPUserIDs = addAll(a.PGPUserIDs, k)
			a.setCapture("uid:"+k, capture)
		}
	}
	for _, s := range subkeys {
		s = strings.ToUpper(s)
		a.PGPSubkeys = addAll(a.PGPSubkeys, s)
		a.setCapture("sub:"+s, capture)
	}
}

// addArmoredKeys adds the fingerprints, user IDs and subkeys of the
// armored keys in text, read by the normalizer as collection reads a
// profile's key; it returns the normalizer's error for a key that does not
// read (the keys that did are added).
func (a *Account) addArmoredKeys(text string) error {
	keys, err := normalize.PGPKeys(text)
	for _, k := range keys {
		a.PGP = addAll(a.PGP, k.Fingerprint)
		var uids []string
		for _, u := range k.UserIDs {
			uids = append(uids, normalize.NormalizeUserID(u))
		}
		a.addPGPKeys(uids, k.Subkeys, "")
	}
	return err
}

// setCapture records the page showing datum unless it is known already or
// capture is "".
func (a *Account) setCapture(datum, capture string) {
	if capture == "" {
		return
	}
	if a.Captures == nil {
		a.Captures = map[string]string{}
	}
	if a.Captures[datum] == "" {
		a.Captures[datum] = capture
	}
}
