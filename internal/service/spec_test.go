package service

import (
	"testing"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/pipeline"
)

// One precedence rule: the config's per-source override, then the site
// file's schedule, then the config's default. A site file's schedule used
// to be ignored (nova's "@every 12h" ran every 2 minutes).
func TestSpecPrecedence(t *testing.T) {
	cfg := &config.Config{}
	cfg.Run.Schedule = "@every 2m"
	cfg.Run.Schedules = map[string]string{"harbor": "0 */4 * * *"}
	for _, tc := range []struct {
		site pipeline.Site
		want string
	}{
		{pipeline.Site{Name: "nova", Schedule: "@every 12h"}, "@every 12h"},
		{pipeline.Site{Name: "harbor", Schedule: "@every 12h"}, "0 */4 * * *"},
		{pipeline.Site{Name: "plain"}, "@every 2m"},
	} {
		if got := Spec(cfg, &tc.site); got != tc.want {
			t.Errorf("Spec(%s) = %q, want %q", tc.site.Name, got, tc.want)
		}
	}
}
