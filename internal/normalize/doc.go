// Package normalize turns the raw text of extracted records into typed,
// bounded values, and pipeline records into listing, vendor and post
// events, so every market is normalized the same way.
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
//     "฿0.00081", "0.3105 XMR") and a per-unit suffix ("30 EUR/g"). Rate
//     reads an exchange rate a page states ("1 BTC = 95,000 USD"); Rates
//     converts to US dollars only with a rate the operator gave or the
//     page stated: with none, price_usd stays 0 and is flagged. No rate is
//     ever assumed.
//   - Quantity and UnitCode: the amount a listing offers, in grams,
//     millilitres or units ("250 GRAM", "1 oz", "20 x 2mg", "50 PILLS").
//   - Country, Countries and Shipping: ISO 3166-1 alpha-2 codes from names,
//     codes, aliases, flags and the regions of
//     configs/reference/regions.yaml, with exclusions ("Europe except
//     UK").
//   - Category and CategoryOf: a code of the controlled vocabulary of
//     configs/reference/taxonomy.yaml (UNODC/EMCDDA drug groups) from a
//     breadcrumb and a title, by ordered, configurable rules.
//   - CryptoAddresses: checksum-valid Bitcoin, Litecoin, Monero and
//     Ethereum addresses in any text.
//   - PGPKey and PGPKeys: fingerprint, key id, creation time and user ids of
//     armored public key blocks (github.com/ProtonMail/go-crypto).
//   - Onions, Contacts and FindMentions: v3 onion addresses with a valid
//     checksum, messenger handles, and everything a text links to.
//   - Int, Float, Rating, Fingerprint, Date, ResolveDate, Bool.
//
// # Worldwide
//
// "Worldwide" (and "WW", "International", "Global", ...) is not expanded
// to every ISO code: a listing that ships worldwide gets an empty ships_to
// list and the flag "ships_to:worldwide", beside the countries it also
// names. Analysts study routes; 249 rows per worldwide listing would drown
// the routes vendors actually name, and "worldwide" means "anywhere I can
// reach", not a claim about each country. An exclusion ("Worldwide except
// USA") adds the flag "ships_to:except"; the excluded codes are in
// Shipping's Excluded and the raw text stays in ships_to_raw.
// Countries reports ok=false for such text for the same reason.
package normalize
