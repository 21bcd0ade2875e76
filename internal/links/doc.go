// Package links resolves vendor identities: which vendor accounts, on one
// market or several, are the same person, how likely that is, and why.
//
// Accounts (one per market and handle) carry what their pages show: PGP
// keys, crypto addresses, contacts, the handle, the text they write
// (listing descriptions, terms, posts), their business profile
// (origin, destinations, categories, price levels, shipping methods,
// claims of history on other markets) and their product photos. Candidate pairs come from blocking
// (accounts sharing a key: an identifier, a handle skeleton or its ends,
// a MinHash band of their rarer phrasing, a photo found by pHash bands),
// never from all pairs. Each
// candidate pair gets features grouped by signal; a logistic regression
// (trained on labelled pairs, L2, calibrated Platt-style) gives its
// probability and each signal's contribution in log-odds. Clusters are
// drawn at a threshold by union-find, a merge refused when the accounts
// it joins are, on average, not linked (no chaining through one weak
// link). Every link keeps the captured pages behind each signal.
//
// A signal is one entry of signals (signals.go): its features, the
// evidence it names, and its blocking keys in blockKeys. Photos
// (photo.go) weigh a shared photo by how many accounts show it, so a
// stock photo weakens, never creates, a link.
package links
