package pipeline

import (
	"regexp"
	"slices"
	"sort"
	"strings"
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
		"listing_id":       {ParserText},
		"title":            {ParserText},
		"description":      {ParserText},
		"category":         {ParserText},
		"vendor":           {ParserText},
		"price":            {ParserMoney},
		"price_usd":        {ParserFloat, ParserMoney},
		"price_btc":        {ParserMoney, ParserFloat},
		"price_xmr":        {ParserMoney, ParserFloat},
		"quantity":         {ParserFloat, ParserInt, ParserQuantity},
		"unit":             {ParserText},
		"ships_from":       {ParserCountry},
		"ships_to":         {ParserCountries, ParserCountry},
		"payment_methods":  {ParserText},
		"escrow":           {ParserBool},
		"listed_at":        {ParserDate},
		"crypto":           {ParserCrypto},
		"price_ltc":        {ParserMoney, ParserFloat},
		"price_eur":        {ParserMoney, ParserFloat},
		"price_gbp":        {ParserMoney, ParserFloat},
		"price_max":        {ParserMoney, ParserFloat},
		"rate":             {ParserText},
		"currency":         {ParserText},
		"stock":            {ParserInt},
		"views":            {ParserInt},
		"sold":             {ParserInt},
		"product_class":    {ParserText},
		"finalize_early":   {ParserBool},
		"shipping_options": {ParserText},
		"vendor_rating":    {ParserRating, ParserFloat},
		"vendor_sales":     {ParserInt},
		"vendor_level":     {ParserText, ParserInt},
	},
	RecordVendor: {
		"handle":           {ParserText},
		"profile_url":      {ParserText},
		"pgp_fingerprint":  {ParserFingerprint},
		"rating":           {ParserRating, ParserFloat},
		"sales":            {ParserInt},
		"joined":           {ParserDate},
		"ships_from":       {ParserCountry},
		"contacts":         {ParserText},
		"pgp_key":          {ParserPGP},
		"crypto":           {ParserCrypto},
		"ships_to":         {ParserCountries, ParserCountry},
		"last_seen":        {ParserDate},
		"feedback_percent": {ParserFloat},
		"level":            {ParserText, ParserInt},
		"trust_level":      {ParserText, ParserInt},
		"verified":         {ParserBool},
		"disputes_won":     {ParserInt},
		"disputes_lost":    {ParserInt},
		"history":          {ParserText},
		"finalize_early":   {ParserBool},
		"title":            {ParserText},
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
		"author_title":     {ParserText},
		"author_posts":     {ParserInt},
		"author_joined":    {ParserDate},
		"signature":        {ParserText},
		"contacts":         {ParserText},
		"post_number":      {ParserInt},
	},
	RecordThread: {
		"thread_id":   {ParserText},
		"title":       {ParserText},
		"subforum":    {ParserText},
		"author":      {ParserText},
		"started_at":  {ParserDate},
		"replies":     {ParserInt},
		"views":       {ParserInt},
		"last_post":   {ParserDate},
		"pages":       {ParserInt},
		"last_poster": {ParserText},
		"sticky":      {ParserBool},
		"locked":      {ParserBool},
	},
}

// v2Fields are, per record type, the fields a version 1 site file cannot
// name (every field of a post or thread is version 2).
var v2Fields = map[string]map[string]bool{
	RecordListing: {"price_btc": true, "price_xmr": true, "listed_at": true, "crypto": true,
		"price_ltc": true, "price_eur": true, "price_gbp": true, "price_max": true, "rate": true,
		"currency": true, "stock": true, "views": true, "sold": true, "product_class": true,
		"finalize_early": true, "shipping_options": true, "vendor_rating": true, "vendor_sales": true,
		"vendor_level": true},
	RecordVendor: {"pgp_key": true, "crypto": true, "ships_to": true, "last_seen": true,
		"feedback_percent": true, "level": true, "trust_level": true, "verified": true,
		"disputes_won": true, "disputes_lost": true, "history": true, "finalize_early": true,
		"title": true},
}

// AttributePrefix starts the name of a field that carries a value no fixed
// field covers: "attributes.<key>", key [a-z][a-z0-9_]{0,63}, on any record
// type. Its parser is one of AttributeParsers (text when none is given);
// the value reaches the event's typed attributes list.
const AttributePrefix = "attributes."

// AttributeParsers are the parsers an attributes.<key> field accepts, its
// default first.
var AttributeParsers = []string{
	ParserText, ParserInt, ParserFloat, ParserBool, ParserDate, ParserMoney, ParserCountry, ParserCountries,
}

var attributeKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// AttributeKey returns the key of an attributes.<key> field name; ok is
// false for any other name, or a key that is not [a-z][a-z0-9_]{0,63}.
func AttributeKey(name string) (key string, ok bool) {
	key, found := strings.CutPrefix(name, AttributePrefix)
	if !found || !attributeKeyRE.MatchString(key) {
		return "", false
	}
	return key, true
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
//
// Every record type also accepts attributes.<key> fields (AttributeKey),
// whose parsers are AttributeParsers; a name that starts with
// "attributes." but has a malformed key is not known.
func ParsersFor(typ, field string) (parsers []string, ok bool) {
	if _, known := recordFields[typ]; known && strings.HasPrefix(field, AttributePrefix) {
		if _, ok := AttributeKey(field); ok {
			return slices.Clone(AttributeParsers), true
		}
		return nil, false
	}
	p, ok := recordFields[typ][field]
	return slices.Clone(p), ok
}
