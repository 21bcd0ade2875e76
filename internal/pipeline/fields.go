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
	// ParserQuantity reads an amount with its unit ("250 GRAM", "20 x
	// 2mg", "1 oz") into a quantity in grams or units.
	ParserQuantity = "quantity"
	// ParserPGP reads a PGP public key block (fingerprint, key id,
	// creation time, user ids).
	ParserPGP = "pgp"
	// ParserCrypto finds checksum-valid crypto addresses in text.
	ParserCrypto = "crypto"
)

// Parsers lists every parser name, sorted.
var Parsers = []string{
	ParserBool, ParserCountries, ParserCountry, ParserCrypto, ParserDate, ParserFingerprint,
	ParserFloat, ParserInt, ParserMoney, ParserPGP, ParserQuantity, ParserRating, ParserText,
}

// v2Parsers are the parsers a version 1 site file cannot name.
var v2Parsers = map[string]bool{ParserQuantity: true, ParserPGP: true, ParserCrypto: true}

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
		"price_btc":       {ParserMoney, ParserFloat},
		"price_xmr":       {ParserMoney, ParserFloat},
		"quantity":        {ParserFloat, ParserInt, ParserQuantity},
		"unit":            {ParserText},
		"ships_from":      {ParserCountry},
		"ships_to":        {ParserCountries, ParserCountry},
		"payment_methods": {ParserText},
		"escrow":          {ParserBool},
		"listed_at":       {ParserDate},
		"crypto":          {ParserCrypto},
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
		"pgp_key":         {ParserPGP},
		"crypto":          {ParserCrypto},
	},
	RecordPost: {
		"post_id":          {ParserText},
		"thread_id":        {ParserText},
		"thread_title":     {ParserText},
		"subforum":         {ParserText},
		"author":           {ParserText},
		"posted_at":        {ParserDate},
		"body":             {ParserText},
		"mentions_vendors": {ParserText},
		"mentions_markets": {ParserText},
		"pgp_key":          {ParserPGP},
		"crypto":           {ParserCrypto},
	},
	RecordThread: {
		"thread_id":  {ParserText},
		"title":      {ParserText},
		"subforum":   {ParserText},
		"author":     {ParserText},
		"started_at": {ParserDate},
		"replies":    {ParserInt},
		"views":      {ParserInt},
		"last_post":  {ParserDate},
	},
}

// v2Fields are, per record type, the fields a version 1 site file cannot
// name (every field of a post or thread is version 2).
var v2Fields = map[string]map[string]bool{
	RecordListing: {"price_btc": true, "price_xmr": true, "listed_at": true, "crypto": true},
	RecordVendor:  {"pgp_key": true, "crypto": true},
}

// naturalKeys is the field that identifies a record of each type; a record
// without it is never emitted.
var naturalKeys = map[string]string{
	RecordListing: "listing_id",
	RecordVendor:  "handle",
	RecordPost:    "post_id",
	RecordThread:  "thread_id",
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
// for listings, "handle" for vendors, "post_id" for posts, "thread_id" for
// threads); "" for an unknown type.
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
