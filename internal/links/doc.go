// Package links resolves vendor identities: which vendor accounts, on one
// market or several, are the same person, how likely that is, and why.
//
// Accounts (one per market and handle) carry what their pages show: PGP
// keys, crypto addresses, contacts, the handle, the text they write
// (listing descriptions, terms, posts) and their business profile
// (origin, destinations, categories, price levels, shipping methods,
// claims of history on other markets). Candidate pairs come from blocking
// (accounts sharing a key: an identifier, a handle skeleton or its ends,
// a MinHash band of their rarer phrasing), never from all pairs. Each
// candidate pair gets features grouped by signal; a logistic regression
// (trained on labelled pairs, L2, calibrated Platt-style) gives its
// probability and each signal's contribution in log-odds. Clusters are
// drawn at a threshold by union-find, a merge refused when the accounts
// it joins are, on average, not linked (no chaining through one weak
// link). Every link keeps the captured pages behind each signal.
//
// A new signal (product photos: shared SHA-256, perceptual hash distance,
// weakened by how many accounts show the same photo) is one more entry of
// signals: its features, its blocking keys and the evidence it names.
package links
