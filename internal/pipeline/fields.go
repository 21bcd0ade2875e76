package pipeline

import (
	"slices"
	"sort"
)

// Parser names a site file can give a field.
const (
	ParserText        = "text"
	ParserMoney       = "money"
	ParserCountry     = "country"
	ParserCountries   = "countries"
	ParserInt         = "int"
	ParserFloat       = "float"
	ParserRating      = "rating"
	ParserFingerprint = "fingerprint"
	ParserDate        = "date"
	ParserBool        = "bool"
)

// Parsers lists every parser name, sorted.
var Parsers = []string{
	ParserBool, ParserCountries, ParserCountry, ParserDate, ParserFingerprint,
	ParserFloat, ParserInt, ParserMoney, ParserRating, ParserText,
}

// recordFields lists, per record type, the fields the normalizer knows and
// the parsers each accepts; the first is the field's default.
var recordFields = map[string]map[string][]string{
	RecordListing: {
		"listing_id":      {ParserText},
		"title":           {ParserText},
		"description":     {ParserText},
		"category":        {ParserText},
		"vendor":          {ParserText},
		"price":           {ParserMoney},
		"price_usd":       {ParserFloat, ParserMoney},
		"quantity":        {ParserFloat, ParserInt},
		"unit":            {ParserText},
		"ships_from":      {ParserCountry},
		"ships_to":        {ParserCountries, ParserCountry},
		"payment_methods": {ParserText},
		"escrow":          {ParserBool},
	},
	RecordVendor: {
		"handle":          {ParserText},
		"profile_url":     {ParserText},
		"pgp_fingerprint": {ParserFingerprint},
		"rating":          {ParserRating, ParserFloat},
		"sales":           {ParserInt},
		"joined":          {ParserDate},
		"ships_from":      {ParserCountry},
		"contacts":        {ParserText},
	},
}

// naturalKeys is the field that identifies a record of each type; a record
// without it is never emitted.
var naturalKeys = map[string]string{
	RecordListing: "listing_id",
	RecordVendor:  "handle",
}

// RecordTypes lists the record types, sorted.
func RecordTypes() []string {
	out := make([]string, 0, len(recordFields))
	for t := range recordFields {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// NaturalKey is the field that identifies a record of type typ ("listing_id"
// for listings, "handle" for vendors); "" for an unknown type.
func NaturalKey(typ string) string { return naturalKeys[typ] }

// Fields lists the fields the normalizer knows for records of type typ,
// sorted.
func Fields(typ string) []string {
	out := make([]string, 0, len(recordFields[typ]))
	for f := range recordFields[typ] {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// ParsersFor lists the parsers field of record type typ accepts, its
// default first; ok is false for a field the normalizer does not know.
func ParsersFor(typ, field string) (parsers []string, ok bool) {
	p, ok := recordFields[typ][field]
	return slices.Clone(p), ok
}
