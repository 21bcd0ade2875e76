package pipeline

import (
	"math/rand"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// siteRegexes returns the regex of every field of every site file.
func siteRegexes(t testing.TB) []string {
	var out []string
	for _, glob := range []string{"../../pipelines/*.yaml", "../../pipelines/realpages/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			s, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, pg := range s.Pages {
				if pg == nil {
					continue
				}
				for _, r := range pg.Records {
					for _, f := range r.Fields {
						if f.Regex != "" {
							out = append(out, f.Regex)
						}
					}
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// equalFind fails unless litRE finds in s what regexp finds.
func equalFind(t *testing.T, expr string, l *litRE, re *regexp.Regexp, s string) {
	t.Helper()
	want := re.FindStringSubmatchIndex(s)
	m0, m1, g0, g1, ok := l.find(s)
	if want == nil {
		if ok {
			t.Fatalf("%q on %q: regexp finds nothing, litRE finds [%d %d %d %d]", expr, s, m0, m1, g0, g1)
		}
		return
	}
	if got := []int{m0, m1, g0, g1}; !ok || !slices.Equal(got, want) {
		t.Fatalf("%q on %q: regexp finds %v, litRE %v (ok %v)", expr, s, want, got, ok)
	}
}

// TestLitREEqualsRegexp holds litRE equal to regexp for every site file's
// regex of its shape, on random texts made of the bytes that matter to it.
func TestLitREEqualsRegexp(t *testing.T) {
	shaped := 0
	rng := rand.New(rand.NewSource(17))
	for _, expr := range append(siteRegexes(t), litShapes...) {
		l := compileLitRE(expr)
		if l == nil {
			continue
		}
		shaped++
		re := regexp.MustCompile(expr)
		alphabet := l.prefix + l.suffix + "09azAZ._-/ \n\xff\xe2\x86\x92é→"
		for range 3000 {
			b := make([]byte, rng.Intn(24))
			for i := range b {
				b[i] = alphabet[rng.Intn(len(alphabet))]
			}
			equalFind(t, expr, l, re, string(b))
		}
	}
	t.Logf("%d regexes of litRE's shape", shaped)
	if shaped < 30 {
		t.Fatalf("only %d regexes have litRE's shape; want the common ones", shaped)
	}
	for expr, want := range map[string]bool{
		`/offer/(\d+)`: true, `^([0-9.]+)`: true, `([A-Za-z]+)$`: true, `\.(\d+)/`: true,
		`sales: (?P<sales>[0-9,]+)`: true, `^(Escrow)$`: false, `(\d+?)`: false, `(?i)id=(\d+)`: false,
		`(\S+)`: false, `(\d+)1`: false, `(?m)^(\d+)`: false, `(.+)`: false, `a(\d+)|b`: false, `(\d+)(x)`: false,
	} {
		if got := compileLitRE(expr) != nil; got != want {
			t.Errorf("compileLitRE(%q) != nil is %v, want %v", expr, got, want)
		}
	}
}

// litShapes are regexes of litRE's shape with overlapping prefixes,
// suffixes and anchors, beyond the site files'.
var litShapes = []string{
	`(\d+)`, `^(\d+)$`, `a(\d+)`, `aa(\d+)`, `0(\d+)`, `00(\d+)x`, `^0(\d+)$`, `(\d+)/`, `/(\d+)/$`,
	`a(a+)`, `([a-z]+)$`, `^([0-9a-f-]+)`, `x([\w-]+)`, `(\w+)`, `é`, `é(\d+)`,
}

// FuzzLitRE holds litRE equal to regexp on any regex of its shape and any
// text, valid UTF-8 or not.
func FuzzLitRE(f *testing.F) {
	for _, expr := range append(siteRegexes(f), litShapes...) {
		f.Add(expr, "http://x.onion/offer/123/a.45/ sales: 1,234 ratings 4.5")
	}
	f.Fuzz(func(t *testing.T, expr, s string) {
		l := compileLitRE(expr)
		if l == nil {
			return
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			t.Fatalf("%q: litRE compiled a regex regexp refuses: %v", expr, err)
		}
		equalFind(t, expr, l, re, s)
	})
}
