package links

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// A signal is one kind of evidence that two accounts are one vendor: its
// features (each a number, 0 when the signal says nothing) and what it
// names as evidence, with the pages behind it on each side.
type signal struct {
	name     string
	features []string
	eval     func(ix *Index, i, j int, x []float64, explain bool) Evidence
}

// Evidence is what one signal rests on for one pair: the shared value or
// the measure, and the captured page (SHA-256) showing it on each side.
type Evidence struct {
	Signal   string
	Value    string
	CaptureA string
	CaptureB string
}

// Signal names.
const (
	SignalPGP      = "pgp"
	SignalCrypto   = "crypto"
	SignalContact  = "contact"
	SignalHandle   = "handle"
	SignalStyle    = "style"
	SignalBusiness = "business"
	SignalPhoto    = "photo"
	SignalMarket   = "market"
)

// signals in feature order.
var signals = []signal{
	{SignalPGP, []string{"pgp_same_key", "pgp_user_id", "pgp_subkey"}, pgpSignal},
	{SignalCrypto, []string{"crypto_shared"}, identifierSignal("crypto:", func(a *Account) []string { return a.Crypto })},
	{SignalContact, []string{"contact_shared"}, identifierSignal("contact:", func(a *Account) []string { return a.Contacts })},
	{SignalHandle, []string{"handle_same", "handle_skeleton", "handle_similarity"}, handleSignal},
	{SignalStyle, []string{"style_ngrams", "style_habits"}, styleSignal},
	{SignalBusiness, []string{"business_origin", "business_destinations", "business_categories", "business_prices",
		"business_shipping", "business_claims"}, businessSignal},
	{SignalPhoto, photoFeatures, photoSignal},
	{SignalMarket, []string{"same_market"}, marketSignal},
}

// Features lists every feature name in order.
func Features() []string {
	var out []string
	for _, s := range signals {
		out = append(out, s.features...)
	}
	return out
}

// Signals lists the signal names in order.
func Signals() []string {
	var out []string
	for _, s := range signals {
		out = append(out, s.name)
	}
	return out
}

// pairFeatures returns the features of accounts i and j and, when
// explain is set, the evidence of each signal that found any.
func (ix *Index) pairFeatures(i, j int, explain bool) ([]float64, []Evidence) {
	x := make([]float64, len(ix.features))
	var ev []Evidence
	k := 0
	for _, s := range signals {
		part := x[k : k+len(s.features)]
		k += len(s.features)
		e := s.eval(ix, i, j, part, explain)
		if explain && slices.ContainsFunc(part, func(v float64) bool { return v != 0 }) {
			e.Signal = s.name
			ev = append(ev, e)
		}
	}
	return x, ev
}

// pgpSignal: the same key, or keys that differ but share a user ID (its
// e-mail) or a subkey, each weighted by how many accounts show it.
func pgpSignal(ix *Index, i, j int, x []float64, explain bool) Evidence {
	a, b := &ix.Accounts[i], &ix.Accounts[j]
	fp, s := ix.sharedRarest("pgp:", a.PGP, b.PGP)
	x[0] = s
	var u, sk string
	if fp == "" {
		// One key shows its own user IDs and subkeys: they are news
		// only between keys that differ.
		u, x[1] = ix.sharedRarest("uid:", a.PGPUserIDs, b.PGPUserIDs)
		sk, x[2] = ix.sharedRarest("sub:", a.PGPSubkeys, b.PGPSubkeys)
	}
	if !explain {
		return Evidence{}
	}
	switch {
	case fp != "":
		return Evidence{Value: "key " + fp, CaptureA: a.capture("pgp:" + fp), CaptureB: b.capture("pgp:" + fp)}
	case sk != "":
		return Evidence{Value: fmt.Sprintf("keys sharing subkey %s (held by %d accounts)", sk, ix.holders["sub:"+sk]),
			CaptureA: a.capture("sub:" + sk), CaptureB: b.capture("sub:" + sk)}
	case u != "":
		return Evidence{Value: fmt.Sprintf("keys sharing user ID %s (held by %d accounts)", u, ix.holders["uid:"+u]),
			CaptureA: a.capture("uid:" + u), CaptureB: b.capture("uid:" + u)}
	}
	return Evidence{}
}

func identifierSignal(kind string, values func(*Account) []string) func(*Index, int, int, []float64, bool) Evidence {
	return func(ix *Index, i, j int, x []float64, explain bool) Evidence {
		a, b := &ix.Accounts[i], &ix.Accounts[j]
		v, s := ix.sharedRarest(kind, values(a), values(b))
		x[0] = s
		if v == "" || !explain {
			return Evidence{}
		}
		n := ix.holders[kind+v]
		return Evidence{Value: fmt.Sprintf("%s (held by %d accounts)", v, n), CaptureA: a.capture(kind + v), CaptureB: b.capture(kind + v)}
	}
}

func handleSignal(ix *Index, i, j int, x []float64, explain bool) Evidence {
	a, b := &ix.Accounts[i], &ix.Accounts[j]
	if strings.EqualFold(a.Handle, b.Handle) {
		x[0] = 1
	}
	sa, sb := ix.skel[i], ix.skel[j]
	if sa == sb && len(sa) >= 3 {
		x[1] = rarity(ix.holders["skel:"+sa])
	}
	sim := similarity(sa, sb)
	if sim > 0.5 {
		x[2] = (sim - 0.5) * 2
	}
	if !explain {
		return Evidence{}
	}
	return Evidence{Value: fmt.Sprintf("%s ~ %s (skeletons %s, %s; similarity %.2f)", a.Handle, b.Handle, sa, sb, sim),
		CaptureA: a.capture("handle"), CaptureB: b.capture("handle")}
}

func styleSignal(ix *Index, i, j int, x []float64, explain bool) Evidence {
	pa, pb := &ix.prof[i], &ix.prof[j]
	if !pa.hasText || !pb.hasText {
		return Evidence{}
	}
	x[0] = cosine(pa, pb)
	x[1] = habitCosine(pa, pb, &ix.habMean, &ix.habSD)
	if !explain {
		return Evidence{}
	}
	a, b := &ix.Accounts[i], &ix.Accounts[j]
	return Evidence{Value: fmt.Sprintf("character 4-gram cosine %.2f, habits cosine %.2f", x[0], x[1]),
		CaptureA: a.capture("text"), CaptureB: b.capture("text")}
}

func businessSignal(ix *Index, i, j int, x []float64, explain bool) Evidence {
	a, b := &ix.Accounts[i], &ix.Accounts[j]
	var said []string
	if a.ShipsFrom != "" && b.ShipsFrom != "" {
		if a.ShipsFrom == b.ShipsFrom {
			x[0] = 1
			said = append(said, "both ship from "+a.ShipsFrom)
		} else {
			x[0] = -1
			said = append(said, "ship from "+a.ShipsFrom+" and "+b.ShipsFrom)
		}
	}
	x[1] = jaccard(a.ShipsTo, b.ShipsTo)
	x[2] = jaccard(a.Categories, b.Categories)
	n := 0
	for _, c := range slices.Sorted(maps.Keys(a.Prices)) {
		if pa, pb := a.Prices[c], b.Prices[c]; pa > 0 && pb > 0 {
			x[3] += math.Exp(-math.Abs(math.Log(pa / pb)))
			n++
		}
	}
	if n > 0 {
		x[3] /= float64(n)
	}
	x[4] = jaccard(a.Shipping, b.Shipping)
	if c := claimed(a, b); c != "" {
		x[5] = 1
		said = append(said, c)
	}
	if !explain {
		return Evidence{}
	}
	said = append(said, fmt.Sprintf("destinations %.2f, categories %.2f, prices %.2f, shipping %.2f alike", x[1], x[2], x[3], x[4]))
	return Evidence{Value: strings.Join(said, "; "), CaptureA: a.capture("business"), CaptureB: b.capture("business")}
}

// claimed says how one account's claims of history point at the other:
// it names the other's market, or both claim the same history.
func claimed(a, b *Account) string {
	for _, c := range a.Claims {
		if strings.EqualFold(c, b.Source) {
			return a.Key() + " claims a history on " + b.Source
		}
		if slices.Contains(b.Claims, c) {
			return "both claim a history on " + c
		}
	}
	for _, c := range b.Claims {
		if strings.EqualFold(c, a.Source) {
			return b.Key() + " claims a history on " + a.Source
		}
	}
	return ""
}

func marketSignal(ix *Index, i, j int, x []float64, explain bool) Evidence {
	if ix.Accounts[i].Source == ix.Accounts[j].Source {
		x[0] = 1
		if !explain {
			return Evidence{}
		}
		return Evidence{Value: "both on " + ix.Accounts[i].Source}
	}
	return Evidence{}
}
