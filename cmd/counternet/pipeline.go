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

const pipelineUsage = `usage:
  counternet pipeline test [--update] SITE.yaml...
      extract every saved page of each site file's tests section and print field-by-field
      differences from the expected records (test: record i: field: want, got); exit non-zero on
      any. --update rewrites the expectation files instead.
      Records whose expectations state normalized values (a "normalized:" map of event paths,
      e.g. price.amount, price_usd, ships_to, posted_at) are normalized as the collector would
      (rates from the config's fx section) and compared too; a value that does not normalize
      is a difference unless listed under normalized.unparsed.
  counternet pipeline extract [--normalized] [--content-type CT] [--captured TIME] --page KIND --url URL SITE.yaml PAGE.html
      print the records, links and misses one saved page yields, as JSON; with --normalized the
      events the collector would publish instead, each with the values that did not normalize
      and why. The page is decoded as the crawler decodes it (--content-type: the header it came
      with); --captured (RFC 3339 or YYYY-MM-DD) is when it was fetched.
`

// runPipeline is `counternet pipeline`: tools for writing site files.
func runPipeline(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, pipelineUsage)
		return errors.New("pipeline: a subcommand (test or extract) is required")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, pipelineUsage)
		return nil
	case "test":
		return runPipelineTest(args[1:], stdout, stderr)
	case "extract":
		return runPipelineExtract(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, pipelineUsage)
	return fmt.Errorf("pipeline: unknown subcommand %q", args[0])
}

func runPipelineTest(args []string, stdout, stderr io.Writer) error {
	f := newFlags("pipeline test", stderr)
	update := f.fs.Bool("update", false, "rewrite the expectation files from what the saved pages yield now")
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if f.fs.NArg() == 0 {
		fmt.Fprint(stderr, pipelineUsage)
		return errors.New("pipeline test: name one or more site files")
	}
	opts, err := f.sitecheckOptions()
	if err != nil {
		return err
	}
	total := 0
	var errs []error
	for _, file := range f.fs.Args() {
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
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if f.fs.NArg() != 2 || *page == "" || *pageURL == "" {
		fmt.Fprint(stderr, pipelineUsage)
		return errors.New("pipeline extract: --page, --url, a site file and a saved page are required")
	}
	site, err := pipeline.Load(f.fs.Arg(0))
	if err != nil {
		return err
	}
	body, err := readSaved(f.fs.Arg(1))
	if err != nil {
		return err
	}
	text, charset, flag, err := pagetext.Text(body, *contentType)
	if err != nil {
		return fmt.Errorf("decoding %s: %w", f.fs.Arg(1), err)
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
