package evidenceview

import (
	"testing"
)

// FuzzSanitize: no input makes Sanitize panic, and whatever it returns
// passes the same checks as the hostile pages.
func FuzzSanitize(f *testing.F) {
	for _, c := range hostile {
		f.Add([]byte(c.page), "text/html")
	}
	f.Add([]byte("<p>plain</p>"), "")
	f.Add([]byte("a,b\n<script>,x\n"), "text/csv")
	f.Add([]byte("<p>\xe9</p>"), "text/html; charset=iso-8859-1")
	f.Add([]byte("<meta charset=shift_jis><p>\x82\xa0</p>"), "text/html")
	f.Fuzz(func(t *testing.T, page []byte, contentType string) {
		out, rep, err := Sanitize(page, contentType)
		if err != nil {
			return
		}
		for _, b := range checkSafe(out) {
			t.Fatalf("unsafe output (%s) for %q:\n%s", b, page, out)
		}
		if len(rep.Refs) > MaxRefs {
			t.Fatalf("%d refs", len(rep.Refs))
		}
		if len(out) > 16*len(page)+4096 {
			t.Fatalf("output of %d bytes for a page of %d", len(out), len(page))
		}
	})
}
