package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
)

// TLP 2.0 marking-definitions as published by OASIS
// (cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
// Their ids are fixed; every object of a bundle refers to one of them.
var tlpMarkings = map[string]struct{ ID, Name string }{
	"clear":        {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR"},
	"green":        {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN"},
	"amber":        {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER"},
	"amber+strict": {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT"},
	"red":          {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED"},
}

// tlpExtension is the extension-definition the TLP 2.0 markings name.
const tlpExtension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// TLPMarkingID returns the official marking-definition id of a TLP 2.0
// label, or "".
func TLPMarkingID(label string) string { return tlpMarkings[strings.ToLower(label)].ID }

// tlpMarking is the official marking-definition object of a label.
func tlpMarking(label string) map[string]any {
	m := tlpMarkings[label]
	return map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": m.ID,
		"created": "2022-10-01T00:00:00.000Z", "name": m.Name,
		"extensions": map[string]any{tlpExtension: map[string]any{"extension_type": "property-extension", "tlp_2_0": label}},
	}
}

// Namespaces of deterministic ids: STIX's own for cyber-observables
// (STIX 2.1 section 2.9), counternet's for the domain objects it derives
// from natural keys, so the same vendor or market gets the same id in every
// package and a partner can merge packages.
var (
	scoNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")
	sdoNamespace = uuid.NewSHA1(uuid.NameSpaceOID, []byte("counternet/stix-2.1"))
)

// The custom cyber-observable types a bundle defines, each with its
// extension-definition (ids fixed: derived from the type name and version).
const (
	ListingType = "darknet-listing"
	WalletType  = "cryptocurrency-wallet"
)

var (
	listingExtension = "extension-definition--" + uuid.NewSHA1(sdoNamespace, []byte("extension-definition|"+ListingType+"|1.0")).String()
	walletExtension  = "extension-definition--" + uuid.NewSHA1(sdoNamespace, []byte("extension-definition|"+WalletType+"|1.0")).String()
)

// listingSchema and walletSchema are the extension-definitions' schema
// text (STIX allows plain text there); docs/packages.md has the same.
const (
	listingSchema = "New SCO darknet-listing: one listing of a darknet market as last observed in the package's time window. " +
		"Properties: market (string, market id), listing_id (string, the market's own id; id contributing with market), " +
		"url (string, page of the listing), title, description, category (counternet taxonomy code), category_raw (as the market names it), " +
		"vendor_ref (identifier of the vendor's user-account), price_amount (number), price_currency (ISO 4217 or crypto ticker), " +
		"price_usd (number, at observation time), quantity (number), unit (string), ships_from (ISO 3166-1 alpha-2), " +
		"ships_to (list of alpha-2), payment_methods (list), escrow (boolean), capture_sha256 (SHA-256 of the captured page; " +
		"the WARC record is evidence/<sha256>.warc.gz when the package carries it). Absent properties were not known or were minimized."
	walletSchema = "New SCO cryptocurrency-wallet: a cryptocurrency address shown on a darknet market page. " +
		"Properties: address (string, id contributing), chain (btc, xmr, eth, ltc). Where it was shown is in relationships from user-account objects " +
		"and in observed-data object_refs."
)

// stixTime renders a STIX timestamp with milliseconds.
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// sdoID derives a domain object id from a natural key.
func sdoID(typ, key string) string {
	return typ + "--" + uuid.NewSHA1(sdoNamespace, []byte(typ+"|"+key)).String()
}

// scoID derives a cyber-observable id from its id-contributing properties,
// as STIX 2.1 section 2.9 does (UUIDv5 over their canonical JSON).
func scoID(typ string, contributing map[string]string) string {
	b, _ := json.Marshal(contributing) // map keys are sorted: canonical for strings
	return typ + "--" + uuid.NewSHA1(scoNamespace, b).String()
}

// userAccountID is the id of a vendor identity's user-account.
func userAccountID(source, handle string) string {
	return scoID("user-account", map[string]string{"account_type": accountType, "user_id": source + ":" + handle, "account_login": handle})
}

// accountType is the user-account account_type of a market vendor account.
const accountType = "darknet-market-vendor"

func walletID(address string) string { return scoID(WalletType, map[string]string{"address": address}) }

func listingID(source, id string) string {
	return scoID(ListingType, map[string]string{"market": source, "listing_id": id})
}

// bundleWriter streams a STIX bundle: objects are written as they are
// added, so a package of any size is written in bounded memory.
type bundleWriter struct {
	w        *bufio.Writer
	n        int
	err      error
	marking  string // marking-definition id on every object
	creator  string // identity id of the sending agency
	created  string // timestamp of the package
	relation map[string]bool
}

func newBundleWriter(w io.Writer, bundleID, tlp, creator string, created time.Time) *bundleWriter {
	b := &bundleWriter{w: bufio.NewWriterSize(w, 1<<20), marking: TLPMarkingID(tlp), creator: creator,
		created: stixTime(created), relation: map[string]bool{}}
	fmt.Fprintf(b.w, "{\n\"type\": \"bundle\",\n\"id\": %q,\n\"objects\": [\n", bundleID)
	b.raw(tlpMarking(tlp))
	return b
}

// raw writes obj as it is.
func (b *bundleWriter) raw(obj map[string]any) {
	if b.err != nil {
		return
	}
	data, err := json.Marshal(obj)
	if err != nil {
		b.err = fmt.Errorf("encoding %v: %w", obj["id"], err)
		return
	}
	if b.n > 0 {
		b.w.WriteString(",\n")
	}
	_, b.err = b.w.Write(data)
	b.n++
}

// sdo writes a domain, relationship or meta object: spec_version, created,
// modified, created_by_ref and the marking are added.
func (b *bundleWriter) sdo(obj map[string]any) {
	obj["spec_version"] = "2.1"
	obj["created"], obj["modified"] = b.created, b.created
	if _, ok := obj["created_by_ref"]; !ok {
		obj["created_by_ref"] = b.creator
	}
	obj["object_marking_refs"] = []string{b.marking}
	b.raw(obj)
}

// sco writes a cyber-observable: spec_version and the marking are added.
func (b *bundleWriter) sco(obj map[string]any) {
	obj["spec_version"] = "2.1"
	obj["object_marking_refs"] = []string{b.marking}
	b.raw(obj)
}

// relationship writes one relationship once (same source, type and target
// again is skipped).
func (b *bundleWriter) relationship(src, typ, dst, desc string, refs []map[string]any) {
	key := src + "|" + typ + "|" + dst + "|" + desc
	if b.relation[key] {
		return
	}
	b.relation[key] = true
	obj := map[string]any{
		"type": "relationship", "id": sdoID("relationship", key),
		"relationship_type": typ, "source_ref": src, "target_ref": dst,
	}
	if desc != "" {
		obj["description"] = desc
	}
	if len(refs) > 0 {
		obj["external_references"] = refs
	}
	b.sdo(obj)
}

// close ends the bundle.
func (b *bundleWriter) close() error {
	if b.err != nil {
		return b.err
	}
	b.w.WriteString("\n]\n}\n")
	return b.w.Flush()
}

// extensionDefinitions writes the definitions of the custom SCOs.
func (b *bundleWriter) extensionDefinitions() {
	for _, d := range []struct{ id, name, desc, schema string }{
		{listingExtension, ListingType, "A listing on a darknet market, as counternet observed it.", listingSchema},
		{walletExtension, WalletType, "A cryptocurrency address shown on a darknet market.", walletSchema},
	} {
		b.sdo(map[string]any{
			"type": "extension-definition", "id": d.id, "name": d.name, "description": d.desc,
			"schema": d.schema, "version": "1.0", "extension_types": []string{"new-sco"},
		})
	}
}

// listing writes the darknet-listing SCO of l and the observed-data that
// says when and how often it was seen.
func (b *bundleWriter) listing(l *Listing) {
	id := listingID(l.Source, l.ListingID)
	obj := map[string]any{
		"type": ListingType, "id": id, "market": l.Source, "listing_id": l.ListingID,
		"extensions": map[string]any{listingExtension: map[string]any{"extension_type": "new-sco"}},
	}
	putStr := func(k, v string) {
		if v != "" {
			obj[k] = v
		}
	}
	putStr("url", l.URL)
	putStr("title", l.Title)
	putStr("description", l.Description)
	putStr("category", l.Category)
	putStr("category_raw", l.CategoryRaw)
	putStr("price_currency", l.PriceCurrency)
	putStr("unit", l.Unit)
	putStr("ships_from", l.ShipsFrom)
	putStr("capture_sha256", l.CaptureSHA256)
	refs := []string{id}
	if l.Vendor != "" {
		ua := userAccountID(l.Source, l.Vendor)
		obj["vendor_ref"] = ua
		refs = append(refs, ua)
	}
	if l.PriceAmount > 0 {
		obj["price_amount"] = l.PriceAmount
	}
	if l.PriceUSD > 0 {
		obj["price_usd"] = l.PriceUSD
	}
	if l.Quantity > 0 {
		obj["quantity"] = l.Quantity
	}
	if len(l.ShipsTo) > 0 {
		obj["ships_to"] = l.ShipsTo
	}
	if len(l.PaymentMethods) > 0 {
		obj["payment_methods"] = l.PaymentMethods
	}
	obj["escrow"] = l.Escrow
	for _, a := range l.CryptoAddresses {
		refs = append(refs, walletID(a))
	}
	b.sco(obj)
	b.sdo(map[string]any{
		"type": "observed-data", "id": sdoID("observed-data", b.created+"|"+l.Source+"|"+l.ListingID),
		"first_observed": stixTime(l.FirstSeen), "last_observed": stixTime(l.LastSeen),
		"number_observed": max(l.Observations, 1), "object_refs": refs,
	})
}

// evidenceRef is an external reference to a captured page.
func evidenceRef(sha, what string, included bool) map[string]any {
	desc := what + "; WARC record of the capture"
	if included {
		desc += " in evidence/" + sha + ".warc.gz"
	} else {
		desc += " (not in this package; ask the sender)"
	}
	return map[string]any{
		"source_name": "counternet-capture", "external_id": sha, "description": desc,
		"hashes": map[string]string{"SHA-256": sha},
	}
}

// vendorLink writes the related-to relationship of a vendor link between
// the two user-accounts. A pair the identity model scored carries its
// probability as confidence (0-100) and each signal's contribution in the
// description; a link by rule alone carries no confidence (the rule's
// strength is in the description), never a made-up one.
func (b *bundleWriter) vendorLink(l *Link, evidence map[string]bool) {
	var desc string
	if l.Kind == "identity_model" {
		desc = fmt.Sprintf("Vendor link by the identity model: %s and %s are one vendor with probability %.3f.", l.KeyA(), l.KeyB(), l.Score.Probability)
	} else {
		desc = fmt.Sprintf("Vendor link (%s): %s and %s share %s %s.", l.Strength, l.KeyA(), l.KeyB(), linkWhat(l.Kind), l.Evidence)
	}
	if l.Score.Scored {
		desc += " Identity model " + l.Score.Explain() + "."
		for i, s := range l.Score.Signals {
			desc += fmt.Sprintf(" %s: %s.", s, l.Score.Evidence[i])
		}
	}
	var refs []map[string]any
	if l.CaptureA != "" {
		refs = append(refs, evidenceRef(l.CaptureA, "page of "+l.KeyA()+" showing it", evidence[l.CaptureA]))
	}
	if l.CaptureB != "" && l.CaptureB != l.CaptureA {
		refs = append(refs, evidenceRef(l.CaptureB, "page of "+l.KeyB()+" showing it", evidence[l.CaptureB]))
	}
	src, dst := userAccountID(l.SourceA, l.HandleA), userAccountID(l.SourceB, l.HandleB)
	key := src + "|related-to|" + dst + "|" + desc
	if b.relation[key] {
		return
	}
	b.relation[key] = true
	obj := map[string]any{
		"type": "relationship", "id": sdoID("relationship", key),
		"relationship_type": "related-to", "source_ref": src, "target_ref": dst, "description": desc,
	}
	if l.Score.Scored {
		obj["confidence"] = l.Score.Confidence()
	}
	if len(refs) > 0 {
		obj["external_references"] = refs
	}
	b.sdo(obj)
}
