// Package export builds intelligence packages for partner agencies and
// checks them on the partner's side.
//
// A package is one file: a POSIX tar archive holding
//
//	bundle.json              STIX 2.1 bundle (identity, threat-actor, user-account,
//	                         infrastructure, location, observed-data, custom SCOs
//	                         darknet-listing and cryptocurrency-wallet with their
//	                         extension-definitions, relationships), every object
//	                         marked with the official TLP 2.0 marking-definition
//	listings.csv, vendors.csv, vendor_links.csv, crypto_addresses.csv, routes.csv
//	report.html              self-contained summary (inline CSS and SVG, no requests)
//	request/request.md       draft preservation / MLA request, and request.json
//	evidence/<sha256>.warc.gz  the WARC response records the records rest on
//	manifest.json            package id, creator, partner, TLP, purpose, legal basis,
//	                         selection, counts, every file's SHA-256 and size
//	manifest.sig             ed25519 signature over manifest.json (base64)
//
// encrypted with age (X25519) when the partner has a recipient key. The
// archive is not compressed, so a changed byte shows as the file it belongs
// to when the package is verified.
//
// Export refuses a package above the partner's highest TLP or holding a
// field the partner excludes, and records every export and every refusal in
// the warehouse's export_audit table and in an append-only local log.
// Verify checks the signature and every file's hash and names the first
// thing that does not match; Open decrypts, verifies and unpacks.
package export
