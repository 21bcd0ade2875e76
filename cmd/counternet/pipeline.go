package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pagetext"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/sitecheck"
	"github.com/counternet/counternet/internal/stack"
)

// errDiffs marks a pipeline test run that found differences.
var errDiffs = errors.New("site-file tests found differences")

// maxSavedPage bounds a page `pipeline extract` reads.
const maxSavedPage = pipeline.MaxPageFile

// runPipelineTestCmd is `counternet pipeline test`.
func runPipelineTestCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	return runPipelineTest(args, stdout, stderr)
}

// runPipelineExtractCmd is `counternet pipeline extract`.
func runPipelineExtractCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	return runPipelineExtract(args, stdout, stderr)
}

func runPipelineTest(args []string, stdout, stderr io.Writer) error {
	f := newFlags("pipeline test", stderr)
	update := f.fs.Bool("update", false, "rewrite the expectation files from what the saved pages yield now")
	files, err := parseInterspersed(f.fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageErr("name one or more site files")
	}
	opts, err := f.sitecheckOptions()
	if err != nil {
		return err
	}
	total := 0
	var errs []error
	for _, file := range files {
		site, err := pipeline.Load(file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if *update {
			if err := pipeline.UpdateTests(site); err != nil {
				errs = append(errs, err)
				continue
			}
			fmt.Fprintf(stdout, "%s: %d expectation files rewritten\n", file, len(site.Tests))
			continue
		}
		diffs, err := pipeline.RunTestsWith(site, sitecheck.Normalizer(site, opts))
		for _, d := range diffs {
			fmt.Fprintf(stdout, "%s: %s\n", file, d)
		}
		total += len(diffs)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(diffs) == 0 {
			fmt.Fprintf(stdout, "%s: ok (%d saved pages)\n", file, len(site.Tests))
		} else {
			fmt.Fprintf(stdout, "%s: %d differences\n", file, len(diffs))
		}
	}
	if total > 0 {
		errs = append(errs, fmt.Errorf("%w: %d", errDiffs, total))
	}
	return errors.Join(errs...)
}

func runPipelineExtract(args []string, stdout, stderr io.Writer) error {
	f := newFlags("pipeline extract", stderr)
	page := f.fs.String("page", "", "the kind of page the saved page is (a page kind of the site file)")
	pageURL := f.fs.String("url", "", "the URL the page was fetched from")
	normalized := f.fs.Bool("normalized", false, "print the events the collector would publish, with every value that did not normalize")
	contentType := f.fs.String("content-type", "", "the Content-Type header the page came with (decides its charset as in the crawler)")
	captured := f.fs.String("captured", "", "when the page was fetched, RFC 3339 or YYYY-MM-DD (relative dates, exchange rates)")
	pos, err := parseInterspersed(f.fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || *page == "" || *pageURL == "" {
		return usageErr("--page, --url, a site file and a saved page are required")
	}
	site, err := pipeline.Load(pos[0])
	if err != nil {
		return err
	}
	body, err := readSaved(pos[1])
	if err != nil {
		return err
	}
	text, charset, flag, err := pagetext.Text(body, *contentType)
	if err != nil {
		return fmt.Errorf("decoding %s: %w", pos[1], err)
	}
	res, err := site.Extract(*page, *pageURL, text)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	var out any = res
	if *normalized {
		opts, err := f.sitecheckOptions()
		if err != nil {
			return err
		}
		tc := pipeline.TestCase{Name: "extract", Captured: *captured}
		if opts.Captured, err = tc.CapturedAt(); err != nil {
			return err
		}
		prov := event.Provenance{Source: site.Name, Pipeline: site.ID()}
		evs := []sitecheck.Event{}
		for _, r := range pipeline.Merge(res.Records) {
			prov.URL = r.URL
			ev, err := sitecheck.Normalize(r, prov, opts)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		out = struct {
			Charset     string            `json:"charset"`
			CharsetFlag string            `json:"charset_flag,omitempty"`
			Events      []sitecheck.Event `json:"events"`
			Misses      []pipeline.Miss   `json:"misses"`
			Flattened   int               `json:"flattened,omitempty"`
		}{charset, flag, evs, res.Misses, res.Flattened}
	}
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing extraction: %w", err)
	}
	return nil
}

// sitecheckOptions are the normalization settings of the loaded config:
// its exchange rates and the configured sites' names for post mentions.
func (c *common) sitecheckOptions() (sitecheck.Options, error) {
	cfg, err := c.load()
	if err != nil {
		return sitecheck.Options{}, err
	}
	return sitecheck.Options{Rates: stack.Rates(cfg)}, nil
}

func readSaved(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading saved page: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxSavedPage+1))
	if err != nil {
		return nil, fmt.Errorf("reading saved page %s: %w", path, err)
	}
	if len(data) > maxSavedPage {
		return nil, fmt.Errorf("reading saved page %s: larger than %d bytes", path, maxSavedPage)
	}
	if strings.TrimSpace(string(data)) == "" {
		return nil, fmt.Errorf("reading saved page %s: empty", path)
	}
	return data, nil
}
