package export

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Format names the package layout in manifest.json.
const Format = "counternet-package/2"

// Names of the two files every package starts with.
const (
	ManifestFile  = "manifest.json"
	SignatureFile = "manifest.sig"
)

// Manifest describes a package: who made it for whom, why, on what
// selection, what it holds, and every file's SHA-256 and size. Its
// signature (manifest.sig) covers the exact bytes of manifest.json.
type Manifest struct {
	Format     string    `json:"format"`
	PackageID  string    `json:"package_id"`
	Created    time.Time `json:"created"`
	Creator    Creator   `json:"creator"`
	Partner    Addressee `json:"partner"`
	TLP        string    `json:"tlp"`
	Purpose    string    `json:"purpose"`
	LegalBasis string    `json:"legal_basis"`
	Case       string    `json:"case,omitempty"`
	Selection  Selection `json:"selection"`
	// Minimized are the fields left out of the package.
	Minimized []string          `json:"minimized,omitempty"`
	Evidence  EvidenceSummary   `json:"evidence"`
	Counts    map[string]uint64 `json:"counts"`
	// EncryptedTo is the age recipient the package was encrypted to ("":
	// unencrypted).
	EncryptedTo string      `json:"encrypted_to,omitempty"`
	Files       []FileEntry `json:"files"`
}

// Creator is the sending agency and the person who made the export.
type Creator struct {
	Agency  string `json:"agency"`
	Country string `json:"country"`
	Contact string `json:"contact,omitempty"`
	Who     string `json:"who"`
	// SigningKey is the public half of the key that signed manifest.json
	// ("ed25519:<base64>"). A verifier should compare it with the key the
	// sender published rather than trust it as found here.
	SigningKey string `json:"signing_key"`
	Software   string `json:"software"`
}

// Addressee is the partner agency the package is for.
type Addressee struct {
	ID      string `json:"id"`
	Agency  string `json:"agency"`
	Country string `json:"country"`
	Contact string `json:"contact,omitempty"`
}

// EvidenceSummary says which WARC records the package carries, or which
// captures its evidence index lists instead.
type EvidenceSummary struct {
	Included bool `json:"included"`
	// Form is EvidenceFull (the pages) or EvidenceIndex (evidence/index.csv).
	Form    string `json:"form,omitempty"`
	Records int    `json:"records"`
	Indexed int    `json:"indexed,omitempty"`
	// Missing counts captures the records name that the capture store
	// does not hold (or that no longer verify); Omitted those left out
	// because the package reached its evidence size limit.
	Missing int      `json:"missing,omitempty"`
	Omitted int      `json:"omitted,omitempty"`
	Notes   []string `json:"notes,omitempty"`
	// MissingCaptures are the captures exported without their page.
	MissingCaptures []string `json:"missing_captures,omitempty"`
}

// FileEntry is one file of the package.
type FileEntry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// hashFile returns the SHA-256 and size of a file.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// listFiles hashes every regular file under dir, in the order the package
// writes them: bundle.json, the tables, the report, the request, then the
// evidence, each group sorted by path.
func listFiles(dir string) ([]FileEntry, error) {
	var out []FileEntry
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		sum, n, err := hashFile(path)
		if err != nil {
			return err
		}
		out = append(out, FileEntry{Path: filepath.ToSlash(rel), SHA256: sum, Size: n})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing package files: %w", err)
	}
	rank := func(p string) int {
		switch {
		case p == "bundle.json":
			return 0
		case strings.HasSuffix(p, ".csv"):
			return 1
		case p == "report.html":
			return 2
		case strings.HasPrefix(p, "request/"):
			return 3
		}
		return 4
	}
	slices.SortStableFunc(out, func(a, b FileEntry) int {
		if ra, rb := rank(a.Path), rank(b.Path); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Path, b.Path)
	})
	return out, nil
}

// encodeManifest renders the manifest as the bytes that get signed.
func encodeManifest(m *Manifest) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// sign returns manifest.sig's content for manifest bytes.
func sign(key ed25519.PrivateKey, manifest []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(key, manifest)) + "\n")
}

// checkSignature verifies manifest.sig's content over manifest bytes.
func checkSignature(key ed25519.PublicKey, manifest, sig []byte) error {
	// The exact form sign writes: any other byte is a change.
	text, ok := strings.CutSuffix(string(sig), "\n")
	raw, err := base64.StdEncoding.Strict().DecodeString(text)
	if !ok || err != nil || len(raw) != ed25519.SignatureSize {
		return fmt.Errorf("%w: %s: not a base64 ed25519 signature", ErrTampered, SignatureFile)
	}
	if !ed25519.Verify(key, manifest, raw) {
		return fmt.Errorf("%w: the signature in %s does not match %s under key %s: one of the two was changed, or the package was not signed with this key",
			ErrTampered, SignatureFile, ManifestFile, FormatPublicKey(key))
	}
	return nil
}
