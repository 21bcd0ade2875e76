package export

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/counternet/counternet/internal/capture"
)

// DefaultMaxEvidenceBytes bounds the evidence a package carries when
// Exporter.MaxEvidenceBytes is 0.
const DefaultMaxEvidenceBytes = 2 << 30

// maxRecord bounds one WARC record copied into a package.
const maxRecord = 1 << 30

// copyEvidence copies the WARC response record of each capture into
// dir/evidence/<sha256>.warc.gz, after the store has verified it against
// its hash. A record is a whole gzip member, a valid WARC file by itself.
// Captures the store does not hold, or that no longer verify, are counted
// as missing; those past limit bytes as omitted.
func copyEvidence(store *capture.Store, shas []string, dir string, limit int64, progress func(done int)) (EvidenceSummary, map[string]bool, error) {
	sum := EvidenceSummary{Included: true}
	have := map[string]bool{}
	if store == nil {
		sum.Missing = len(shas)
		sum.Notes = append(sum.Notes, "no capture store was available to the exporter")
		return sum, have, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "evidence"), 0o700); err != nil {
		return sum, have, fmt.Errorf("copying evidence: %w", err)
	}
	var total int64
	for i, sha := range shas {
		if progress != nil && i%1000 == 0 {
			progress(i)
		}
		resp, err := store.Response(sha)
		if errors.Is(err, capture.ErrNotFound) || errors.Is(err, capture.ErrBadHash) {
			sum.Missing++
			continue
		}
		if errors.Is(err, capture.ErrTampered) {
			sum.Missing++
			sum.Notes = append(sum.Notes, "capture "+sha+" no longer matches its hash in the store and was left out")
			continue
		}
		if err != nil {
			return sum, have, fmt.Errorf("copying evidence %s: %w", sha, err)
		}
		locs, err := store.Locate(sha)
		if err != nil {
			return sum, have, fmt.Errorf("copying evidence %s: %w", sha, err)
		}
		var loc *capture.Location
		for i := range locs {
			if locs[i].File == resp.File && locs[i].Offset == resp.Offset {
				loc = &locs[i]
			}
		}
		if loc == nil {
			sum.Missing++
			sum.Notes = append(sum.Notes, "capture "+sha+": the store's index does not locate its response record; left out")
			continue
		}
		if loc.Length > maxRecord {
			sum.Missing++
			sum.Notes = append(sum.Notes, fmt.Sprintf("capture %s: its record of %d bytes is larger than the %d bytes one record may take; left out", sha, loc.Length, maxRecord))
			continue
		}
		if total+loc.Length > limit {
			sum.Omitted++
			continue
		}
		if err := copyRecord(*loc, filepath.Join(dir, "evidence", sha+".warc.gz")); err != nil {
			return sum, have, fmt.Errorf("copying evidence %s: %w", sha, err)
		}
		total += loc.Length
		have[sha] = true
		sum.Records++
	}
	if sum.Missing > 0 {
		sum.Notes = append(sum.Notes, fmt.Sprintf("%d captures named by the records are not in the capture store (synthetic data, or evidence kept elsewhere)", sum.Missing))
	}
	if sum.Omitted > 0 {
		sum.Notes = append(sum.Notes, fmt.Sprintf("%d records left out: the package reached its evidence limit of %d bytes", sum.Omitted, limit))
	}
	return sum, have, nil
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
