package export

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/counternet/counternet/internal/capture"
)

// DefaultMaxEvidenceBytes bounds the evidence a package carries when
// Exporter.MaxEvidenceBytes is 0.
const DefaultMaxEvidenceBytes = 2 << 30

// maxRecord bounds one WARC record copied into a package.
const maxRecord = 1 << 30

// Evidence forms: the captured pages themselves (WARC records), or an
// index of them (hash, what each shows without its URL, capture time).
const (
	EvidenceFull  = "full"
	EvidenceIndex = "index"
)

// EvidenceIndexFile is the index a package carries instead of the pages.
const EvidenceIndexFile = "evidence/index.csv"

// maxMissingNamed bounds the captures a note or an error names one by one.
const maxMissingNamed = 20

// indexColumns are the columns of evidence/index.csv.
var indexColumns = []string{"capture_sha256", "captured_at", "shows", "warc_record_bytes", "available"}

// missingCapture is a capture the store could not give, and why.
type missingCapture struct{ SHA256, Why string }

// evidenceJob is what gatherEvidence works on.
type evidenceJob struct {
	store    *capture.Store
	captures []string
	what     map[string]string
	dir      string // the package's staging directory
	form     string // EvidenceFull or EvidenceIndex
	limit    int64
	// allowMissing exports without the captures the store lacks; without
	// it a missing or changed capture refuses the export.
	allowMissing bool
	progress     func(done int)
}

// gatherEvidence checks every capture the records rest on against the
// store (which verifies it against its hash) and either copies its WARC
// response record into dir/evidence/<sha256>.warc.gz (a whole gzip member,
// a valid WARC file by itself) or lists it in evidence/index.csv. A capture
// missing from the store or no longer matching its hash refuses the export
// (ErrRefused, naming the captures and the store), unless allowMissing:
// then the summary's notes say what is missing and why.
func gatherEvidence(j evidenceJob) (EvidenceSummary, map[string]bool, error) {
	sum := EvidenceSummary{Included: true, Form: j.form}
	have := map[string]bool{}
	storeDir := "(none)"
	if j.store != nil {
		storeDir = j.store.Dir()
	}
	var missing []missingCapture
	var idx *csv.Writer
	var idxFile *os.File
	if err := os.MkdirAll(filepath.Join(j.dir, "evidence"), 0o700); err != nil {
		return sum, have, fmt.Errorf("evidence: %w", err)
	}
	if j.form == EvidenceIndex {
		f, err := os.OpenFile(filepath.Join(j.dir, filepath.FromSlash(EvidenceIndexFile)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return sum, have, fmt.Errorf("evidence index: %w", err)
		}
		defer f.Close()
		idxFile, idx = f, csv.NewWriter(f)
		if err := idx.Write(indexColumns); err != nil {
			return sum, have, fmt.Errorf("evidence index: %w", err)
		}
	}
	var total int64
	for i, sha := range j.captures {
		if j.progress != nil && i%1000 == 0 {
			j.progress(i)
		}
		if j.store == nil {
			missing = append(missing, missingCapture{sha, "no capture store was available to the exporter"})
			continue
		}
		resp, err := j.store.Response(sha)
		switch {
		case errors.Is(err, capture.ErrNotFound) || errors.Is(err, capture.ErrBadHash):
			missing = append(missing, missingCapture{sha, "not in the capture store"})
			continue
		case errors.Is(err, capture.ErrTampered):
			missing = append(missing, missingCapture{sha, "no longer matches its hash in the capture store"})
			continue
		case err != nil:
			return sum, have, fmt.Errorf("evidence %s: %w", sha, err)
		}
		loc, err := responseLocation(j.store, sha, resp)
		if err != nil {
			return sum, have, err
		}
		if loc == nil {
			missing = append(missing, missingCapture{sha, "the store's index does not locate its response record"})
			continue
		}
		if idx != nil {
			if err := idx.Write([]string{sha, cell(resp.Date), cell(j.what[sha]), strconv.FormatInt(loc.Length, 10),
				"on formal request to the sender"}); err != nil {
				return sum, have, fmt.Errorf("evidence index: %w", err)
			}
			sum.Indexed++
			continue
		}
		if loc.Length > maxRecord {
			sum.Omitted++
			sum.Notes = append(sum.Notes, fmt.Sprintf("capture %s: its record of %d bytes is larger than the %d bytes one record may take; left out", sha, loc.Length, maxRecord))
			continue
		}
		if total+loc.Length > j.limit {
			sum.Omitted++
			continue
		}
		if err := copyRecord(*loc, filepath.Join(j.dir, "evidence", sha+".warc.gz")); err != nil {
			return sum, have, fmt.Errorf("copying evidence %s: %w", sha, err)
		}
		total += loc.Length
		have[sha] = true
		sum.Records++
	}
	if idx != nil {
		idx.Flush()
		if err := idx.Error(); err != nil {
			return sum, have, fmt.Errorf("evidence index: %w", err)
		}
		if err := idxFile.Close(); err != nil {
			return sum, have, fmt.Errorf("evidence index: %w", err)
		}
	} else if sum.Records == 0 {
		os.Remove(filepath.Join(j.dir, "evidence"))
	}
	if len(missing) > 0 {
		what := describeMissing(missing, len(j.captures), storeDir)
		if !j.allowMissing {
			return sum, have, fmt.Errorf("%w: %s; export without them only with --allow-missing-evidence, and the report and draft request will say so", ErrRefused, what)
		}
		sum.Missing = len(missing)
		sum.Notes = append(sum.Notes, "MISSING EVIDENCE: "+what+". The package was exported without them at the investigator's explicit request (--allow-missing-evidence).")
		for _, m := range missing {
			sum.MissingCaptures = append(sum.MissingCaptures, m.SHA256)
		}
	}
	if sum.Omitted > 0 {
		sum.Notes = append(sum.Notes, fmt.Sprintf("%d records left out: the package reached its evidence limit of %d bytes; they are available from the sender", sum.Omitted, j.limit))
	}
	return sum, have, nil
}

// describeMissing says which captures are missing, why, and from which
// store, naming up to maxMissingNamed of them.
func describeMissing(missing []missingCapture, of int, store string) string {
	var named []string
	for _, m := range missing[:min(len(missing), maxMissingNamed)] {
		named = append(named, m.SHA256+" ("+m.Why+")")
	}
	more := ""
	if len(missing) > maxMissingNamed {
		more = fmt.Sprintf(" and %d more", len(missing)-maxMissingNamed)
	}
	return fmt.Sprintf("%d of the %d captured pages the records rest on are missing or changed in the capture store %s: %s%s",
		len(missing), of, store, strings.Join(named, ", "), more)
}

// responseLocation finds the store's location of a capture's response
// record (nil when the index does not locate it).
func responseLocation(store *capture.Store, sha string, resp *capture.Response) (*capture.Location, error) {
	locs, err := store.Locate(sha)
	if err != nil {
		return nil, fmt.Errorf("evidence %s: %w", sha, err)
	}
	for i := range locs {
		if locs[i].File == resp.File && locs[i].Offset == resp.Offset {
			return &locs[i], nil
		}
	}
	return nil, nil
}

func copyRecord(loc capture.Location, dst string) error {
	src, err := os.Open(loc.File)
	if err != nil {
		return err
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, io.NewSectionReader(src, loc.Offset, loc.Length))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != loc.Length {
		err = fmt.Errorf("short record: %d of %d bytes", n, loc.Length)
	}
	return err
}

// pageFields are the fields of drop that a captured page shows: when any
// is left out of a package, the pages cannot go with it.
func pageFields(drop fieldSet) []string {
	var out []string
	for _, f := range Fields {
		if f.Page && drop.has(f.Name) {
			out = append(out, f.Name)
		}
	}
	return out
}
