package links

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// synthAccounts makes n synthetic vendor accounts of about 0.6n
// identities over 20 markets: handles from a large vocabulary with the
// fixture's kinds of variants, keys, addresses, contacts, texts mixing
// stock sentences with each identity's own, and business profiles.
func synthAccounts(n int, seed uint64) ([]Account, []int) {
	r := rand.New(rand.NewPCG(seed, 0x73796e7468))
	syl := []string{"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "xo", "ze", "ba", "do", "fe", "gu", "hi", "ja", "ko", "ly", "mo", "nu"}
	word := func(k int) string {
		var b strings.Builder
		for range k {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		return b.String()
	}
	stock := []string{"Welcome to our shop.", "Vacuum sealed and packed in MBB.", "We ship Monday to Friday.",
		"Quality product at a fair price.", "Letter shipping, tracked on request.", "No refunds on customs seizures."}
	cats := []string{"drugs.cannabis", "drugs.stimulants.cocaine", "drugs.opioids", "drugs.ecstasy", "drugs.psychedelics", "drugs.benzodiazepines"}
	countries := []string{"DE", "NL", "GB", "US", "FR", "ES", "PL", "BE", "CA", "AU"}
	var out []Account
	var ids []int
	for id := 0; len(out) < n; id++ {
		handle := strings.ToUpper(word(1)[:1]) + word(3) + "_" + word(2)
		phrases := []string{word(2) + " " + word(3) + " " + word(2) + ".", word(3) + " " + word(2) + " always " + word(2) + "."}
		fp := fmt.Sprintf("%040X", r.Uint64())
		addr := "bc1q" + word(8)
		from := countries[r.IntN(len(countries))]
		cat := cats[r.IntN(len(cats))]
		price := 5 + r.Float64()*50
		contact := ""
		if r.IntN(3) == 0 {
			contact = "wickr:" + word(4)
		}
		k := 1 + r.IntN(3)
		if r.IntN(5) < 2 {
			k = 1
		}
		for j := range min(k, n-len(out)) {
			h, key, ad := handle, fp, addr
			if j > 0 {
				switch r.IntN(5) {
				case 1:
					h = strings.ReplaceAll(strings.ReplaceAll(h, "o", "0"), "a", "4")
				case 2:
					h += strconv.Itoa(r.IntN(99))
				case 3:
					h = strings.ToUpper(word(1)[:1]) + word(3)
				}
				if r.IntN(5) == 0 {
					key = fmt.Sprintf("%040X", r.Uint64())
				}
				if r.IntN(3) == 0 {
					ad = "bc1q" + word(8)
				}
			}
			a := Account{Source: "m" + strconv.Itoa((id+j*7)%20), Handle: h, PGP: []string{key}, Crypto: []string{ad},
				ShipsFrom: from, ShipsTo: []string{from, countries[r.IntN(len(countries))]}, Categories: []string{cat},
				Prices: map[string]float64{cat: price * (0.8 + 0.4*r.Float64())}}
			if contact != "" {
				a.Contacts = []string{contact}
			}
			for range 3 {
				a.AddText(stock[r.IntN(len(stock))] + " " + phrases[0] + " " + stock[r.IntN(len(stock))] + " " + phrases[1] + " " + stock[r.IntN(len(stock))])
			}
			out = append(out, a)
			ids = append(ids, id)
		}
	}
	return out, ids
}

// BenchmarkLink links 10k and 100k synthetic accounts: index, blocking,
// scoring and clustering. Candidates per account and pair precision and
// recall against the synthetic truth are reported with the time.
func BenchmarkLink(b *testing.B) {
	m, err := DefaultModel()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10_000, 100_000} {
		accounts, ids := synthAccounts(n, 1)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			var res *Result
			cpu0 := cpuTime()
			for b.Loop() {
				res = Resolve(accounts, m, Options{})
			}
			// The machine is shared: CPU time says what linking costs
			// better than wall time.
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			tp, fp := 0, 0
			for _, l := range res.Links {
				if l.Linked {
					if ids[l.A] == ids[l.B] {
						tp++
					} else {
						fp++
					}
				}
			}
			per := map[int]int{}
			for _, id := range ids {
				per[id]++
			}
			pairs := 0
			for _, k := range per {
				pairs += k * (k - 1) / 2
			}
			b.ReportMetric(float64(res.Stats.BlockStats.Candidates)/float64(n), "candidates/account")
			b.ReportMetric(float64(tp)/float64(max(tp+fp, 1)), "precision")
			b.ReportMetric(float64(tp)/float64(max(pairs, 1)), "recall")
			b.Logf("%d accounts: %+v", n, res.Stats)
		})
	}
}
