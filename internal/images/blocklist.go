package images

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Blocklist kinds: what an entry's hash is of.
const (
	KindSHA256 = "sha256"
	KindPHash  = "phash"
	KindDHash  = "dhash"
	KindAHash  = "ahash"
)

// MaxDistance bounds the Hamming distance an entry may allow: past it a
// perceptual entry would match unrelated photos.
const MaxDistance = 16

// maxEntries bounds a blocklist file.
const maxEntries = 1 << 20

// ErrBlocklist marks a blocklist file that does not parse.
var ErrBlocklist = errors.New("invalid blocklist")

// Blocklist is an operator-supplied list of known-illegal images, by
// SHA-256 or by perceptual hash within a Hamming distance. A nil
// *Blocklist matches nothing.
//
// The file format is one entry a line, fields separated by white space,
// '#' starting a comment:
//
//	<id> sha256 <64 hex digits>
//	<id> phash|dhash|ahash <16 hex digits> <max distance 0-16>
//
// id is the operator's reference for the entry ([A-Za-z0-9._:-]{1,64}),
// the only thing of the entry an escalation record names.
type Blocklist struct {
	sha   map[[32]byte]string
	perc  []percEntry
	count int
}

type percEntry struct {
	id   string
	kind string
	hash uint64
	dist int
}

// Match is a blocklist hit: the entry's id and how it matched (its kind).
type Match struct {
	EntryID string
	By      string
}

var entryIDRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// LoadBlocklist reads a blocklist file; errors name the file and line.
func LoadBlocklist(path string) (*Blocklist, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading blocklist: %w", err)
	}
	defer f.Close()
	return ParseBlocklist(path, f)
}

// ParseBlocklist reads a blocklist from r; name is used in errors. Every
// malformed line is reported at once.
func ParseBlocklist(name string, r io.Reader) (*Blocklist, error) {
	bl := &Blocklist{sha: map[[32]byte]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 4096)
	var errs []string
	seen := map[string]int{}
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		if err := bl.add(f); err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: %v", name, line, err))
			continue
		}
		if prev, ok := seen[f[0]]; ok {
			errs = append(errs, fmt.Sprintf("%s:%d: entry id %q already used on line %d", name, line, f[0], prev))
		}
		seen[f[0]] = line
		if bl.count > maxEntries {
			errs = append(errs, fmt.Sprintf("%s:%d: more than %d entries", name, line, maxEntries))
			break
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Sprintf("%s: reading: %v (lines are at most 4096 bytes)", name, err))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrBlocklist, strings.Join(errs, "; "))
	}
	return bl, nil
}

func (bl *Blocklist) add(f []string) error {
	if len(f) < 3 {
		return fmt.Errorf("want <id> <kind> <hash> [distance], got %d fields", len(f))
	}
	id, kind, h := f[0], strings.ToLower(f[1]), strings.ToLower(f[2])
	if !entryIDRE.MatchString(id) {
		return fmt.Errorf("entry id %q: want [A-Za-z0-9._:-]{1,64}", cut(id))
	}
	switch kind {
	case KindSHA256:
		if len(f) != 3 {
			return fmt.Errorf("a sha256 entry has no distance")
		}
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 32 {
			return fmt.Errorf("sha256 %q: want 64 hex digits", cut(h))
		}
		bl.sha[[32]byte(b)] = id
	case KindPHash, KindDHash, KindAHash:
		if len(f) != 4 {
			return fmt.Errorf("a %s entry needs a max distance (0-%d)", kind, MaxDistance)
		}
		v, err := ParseHex(h)
		if err != nil {
			return err
		}
		d, err := strconv.Atoi(f[3])
		if err != nil || d < 0 || d > MaxDistance {
			return fmt.Errorf("distance %q: want 0-%d", cut(f[3]), MaxDistance)
		}
		bl.perc = append(bl.perc, percEntry{id: id, kind: kind, hash: v, dist: d})
	default:
		return fmt.Errorf("kind %q: want sha256, phash, dhash or ahash", cut(kind))
	}
	bl.count++
	return nil
}

// Len is the number of entries.
func (bl *Blocklist) Len() int {
	if bl == nil {
		return 0
	}
	return bl.count
}

// CheckSHA256 reports the entry matching the SHA-256 of body, or nil.
func (bl *Blocklist) CheckSHA256(body []byte) *Match {
	return bl.matchSHA(sha256.Sum256(body))
}

func (bl *Blocklist) matchSHA(sum [32]byte) *Match {
	if bl == nil {
		return nil
	}
	if id, ok := bl.sha[sum]; ok {
		return &Match{EntryID: id, By: KindSHA256}
	}
	return nil
}

// matchPerceptual returns the first entry (in file order) within its
// distance of p's hash of its kind, or nil.
func (bl *Blocklist) matchPerceptual(p Photo) *Match {
	if bl == nil {
		return nil
	}
	for _, e := range bl.perc {
		var h uint64
		switch e.kind {
		case KindPHash:
			h = p.PHash
		case KindDHash:
			h = p.DHash
		case KindAHash:
			h = p.AHash
		}
		if Distance(h, e.hash) <= e.dist {
			return &Match{EntryID: e.id, By: e.kind}
		}
	}
	return nil
}
