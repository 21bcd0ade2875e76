package realpages

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/sitecheck"
)

// TestSiteFileTests runs the saved-page tests (tests: and their .want.yaml
// expectations, normalized values included) of every site file in
// pipelines/realpages, as `counternet pipeline test` does. The site files
// are loaded as the scoring test loads them: a contract field the
// validator on this branch refuses is left out, and a difference on such a
// field, or a normalized value the events of this branch do not carry at
// all, is listed as pending, not failed. Every other difference (a raw
// value that changed, a normalized value that is wrong) fails.
func TestSiteFileTests(t *testing.T) {
	pagesPresent(t)
	var pending []string
	for _, name := range sites {
		l, err := loadSite(filepath.Join(siteDir, name+".yaml"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(l.site.Tests) == 0 {
			t.Errorf("%s: no tests: in the site file", name)
			continue
		}
		diffs, err := pipeline.RunTestsWith(l.site, sitecheck.Normalizer(l.site, sitecheck.Options{Markets: []string{l.site.Title}}))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, d := range diffs {
			if why, ok := l.pendingDiff(d); ok {
				pending = append(pending, fmt.Sprintf("%s: %s (%s)", name, d, why))
				continue
			}
			t.Errorf("%s: %s", name, d)
		}
	}
	if len(pending) > 0 {
		t.Logf("%d differences pending on features this branch lacks:\n%s", len(pending), strings.Join(pending, "\n"))
	}
}

// pendingDiff says whether a difference is only a feature this branch
// lacks, and which: a raw field the validator refused (left out), or a
// normalized value the event has no field for ("(none)") or could not
// read (an unparsed field the expectation does not name).
func (l *loaded) pendingDiff(d pipeline.Diff) (string, bool) {
	field, normalized := strings.CutPrefix(d.Field, "normalized.")
	if !normalized {
		for key, why := range l.dropped {
			if strings.HasSuffix(key, "."+field) && d.Got == "(none)" {
				return why, true
			}
		}
		return "", false
	}
	switch {
	case field == "unparsed":
		return "normalization on this branch cannot read " + d.Got, true
	case d.Got == "(none)":
		return "the event on this branch has no " + field, true
	}
	return "", false
}
