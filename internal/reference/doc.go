// Package reference turns countries into jurisdictions and cooperation
// routes. It parses the reference data kept in configs/reference (ISO 3166
// countries and regions, Budapest Convention and Second Protocol parties,
// EU cooperation regimes, UNTOC non-parties), keeps each file's uncertainty
// flags, names the cooperation channels that apply between a requesting and
// a partner country and why, and loads the partner directory
// (configs/partners.yaml) with file:line errors.
//
// LegalBases holds the one set of rules for the legal bases of a request
// between two countries: Channels and CooperationTable (written by package
// warehouse for the cooperation view) are derived from it.
package reference
