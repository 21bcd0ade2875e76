package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// ErrNoMatch means a collect.pipelines glob matched no site file.
var ErrNoMatch = errors.New("glob matches no file")

// PipelineFiles expands the collect.pipelines globs, relative to baseDir
// when not absolute, into the site files they match: regular files only,
// sorted, each once. A glob that matches no file is an error wrapping
// ErrNoMatch; every such glob is reported.
func (c *Config) PipelineFiles(baseDir string) ([]string, error) {
	var (
		files []string
		errs  []error
	)
	seen := make(map[string]bool)
	for _, g := range c.Collect.Pipelines {
		pattern := g
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(baseDir, pattern)
		}
		matches, err := filepath.Glob(pattern)
		if err != nil {
			errs = append(errs, fmt.Errorf("expanding collect.pipelines glob %q: %w", g, err))
			continue
		}
		n := 0
		for _, m := range matches {
			fi, err := os.Stat(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("expanding collect.pipelines glob %q: %w", g, err))
				continue
			}
			if !fi.Mode().IsRegular() {
				continue
			}
			n++
			if !seen[m] {
				seen[m] = true
				files = append(files, m)
			}
		}
		if n == 0 {
			errs = append(errs, fmt.Errorf("expanding collect.pipelines glob %q in %s: %w", g, baseDir, ErrNoMatch))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.Sort(files)
	return files, nil
}
