// Package normalize turns the raw text of extracted records into typed,
// bounded values, and pipeline records into listing, vendor, post and
// thread events (Listing, Vendor, Post, Thread), so every market is
// normalized the same way. Every field a site file may set reaches its
// event; attributes.<key> fields become typed attributes.
//
// Every parser is a pure, deterministic function of its input, bounded in
// what it reads, and safe on any byte string (each has a fuzz test). A
// value that does not parse is an error wrapping ErrUnparsable; record
// conversion never drops a record: it keeps the raw text, leaves the
// normalized field empty and names it in the event's Flags.
//
// What it reads:
//
//   - Money and MoneyPer: amount and currency ("$41.20", "1.234,56 €",
//     "฿0.00081", "0.3105 XMR", "45,- €", "mBTC") and a per-unit suffix
//     ("30 EUR/g"); MoneyRange a range ("50.00 - 39000.00 EUR"); MoneyOf
//     the amount in one currency of a text showing several. Rate
//     reads an exchange rate a page states ("1 BTC = 95,000 USD"); Rates
//     converts to US dollars only with a rate the operator gave or the
//     page stated: with none, price_usd stays 0 and is flagged. No rate is
//     ever assumed.
//   - Quantity and UnitCode: the amount a listing offers, in grams,
//     millilitres or units ("250 GRAM", "1 oz", "20 x 2mg", "50 PILLS").
//   - Country, Countries and Shipping: ISO 3166-1 alpha-2 codes from names,
//     codes, aliases, flags and the regions of
//     configs/reference/regions.yaml, with exclusions ("Europe except
//     UK", "WW excl. US") and the full destination list with its basis;
//     Origin a ships-from that may be a region or marker (EU, WORLDWIDE,
//     DIGITAL, UNKNOWN).
//   - DateIn: absolute and relative dates in nine languages, forum forms,
//     epoch seconds, with the site's day/month order and time zone, kept
//     with their time and converted to UTC.
//   - TypedContacts (Telegram, Jabber, Wickr, Session, Signal, ICQ, Tox,
//     e-mail), ParseShippingOption, HistoryClaims ("Dream 3700 deals,
//     4.82/5"), Percent and FinalizeEarly.
//   - Category and CategoryOf: a code of the controlled vocabulary of
//     configs/reference/taxonomy.yaml (UNODC/EMCDDA drug groups) from a
//     breadcrumb and a title, by ordered, configurable rules.
//   - CryptoAddresses: checksum-valid Bitcoin, Litecoin, Monero and
//     Ethereum addresses in any text.
//   - PGPKey and PGPKeys: fingerprint, key id, creation time and user ids of
//     armored public key blocks (github.com/ProtonMail/go-crypto).
//   - Onions, Contacts and FindMentions: v3 onion addresses with a valid
//     checksum, messenger handles, and everything a text links to.
//   - Int, Float, Rating, Fingerprint, Date, Bool.
//
// # Worldwide
//
// A listing's or vendor's ships_to is the full destination list, each
// country with its basis (ships_to_basis): "explicit" when the page names
// it, "region" when a region it names (EU, Europe, Scandinavia) covers it,
// "worldwide" when a worldwide term does. "Worldwide except AU, SE" is
// every ISO 3166-1 country but AU and SE, basis worldwide, with AU and SE
// in ships_to_excluded and the flags "ships_to:worldwide" and
// "ships_to:except". So every consumer reading ships_to agrees, and an
// analyst who wants only the routes vendors name filters on the basis.
package normalize
