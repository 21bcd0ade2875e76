package cases

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/export"
	"github.com/counternet/counternet/internal/warehouse"
)

// Console roles, as internal/auth names them. The package takes them as
// plain strings.
const (
	RoleAnalyst      = "analyst"
	RoleInvestigator = "investigator"
	RoleApprover     = "approver"
	RoleOperator     = "operator"
	RoleAdmin        = "admin"
)

// Roles within one case.
const (
	CaseLead   = "lead"   // manages the case and its members, works it
	CaseMember = "member" // works the case: notes, watchlist, export requests
	CaseViewer = "viewer" // reads the case
)

// Errors callers tell apart with errors.Is. Every error the Service returns
// for a refused action wraps one of them, with the reason.
var (
	// ErrForbidden: the actor's roles or case role do not allow the action.
	ErrForbidden = errors.New("not allowed")
	// ErrNotFound: no such case, watch, alert or export request.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the input is malformed (empty title, bad fingerprint, ...).
	ErrInvalid = errors.New("invalid")
	// ErrFourEyes: the approver is the requester of the export.
	ErrFourEyes = errors.New("four-eyes rule")
	// ErrState: the object is not in a state that allows the action (an
	// export request already reviewed, a closed case).
	ErrState = errors.New("wrong state")
)

// Actor is the console user doing something: its name and global roles
// (RoleAnalyst, ...), and the network address of its browser when known
// (recorded in the audit).
type Actor struct {
	User    string
	Roles   []string
	Address string
}

// Has reports whether the actor holds role.
func (a Actor) Has(role string) bool { return slices.Contains(a.Roles, role) }

// Service is the case workspace: cases, members, notes, watchlists, alerts,
// four-eyes export requests and the console audit, stored in ClickHouse.
// Set its fields once; its methods are safe for concurrent use.
type Service struct {
	DB *warehouse.DB
	// Exporter builds approved export requests (Request.Who is the
	// requester, Request.ApprovedBy the approver); its Partners are the
	// partners a request may name. Nil: requests can be prepared and
	// reviewed, and approving one fails with the reason.
	Exporter *export.Exporter
	// ExportDir is where built packages are written, one file per
	// request (<request id>.cnpkg); created 0700 when missing.
	ExportDir string
	Log       zerolog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	// mu serializes the state changes of export requests made through
	// this Service, so one request is approved and built once.
	mu sync.Mutex
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// lastVersion makes versions strictly increasing within the process even
// when the clock does not move between two writes.
var lastVersion atomic.Uint64

// nextVersion is the version of a row written now: nanoseconds since the
// epoch, above every version this process wrote before.
func nextVersion() uint64 {
	for {
		prev := lastVersion.Load()
		v := max(uint64(time.Now().UnixNano()), prev+1)
		if lastVersion.CompareAndSwap(prev, v) {
			return v
		}
	}
}

// newID is prefix-<16 random hex digits>.
func newID(prefix string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("cases: reading random bytes: " + err.Error())
	}
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Bounds of what a user can write.
const (
	maxTitle = 300
	maxText  = 8 << 10  // purpose, legal basis, reasons, watch notes
	maxNote  = 64 << 10 // a case note
	maxList  = 10000    // rows a listing returns
	maxUser  = 200
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func forbidden(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrForbidden}, args...)...)
}

// text trims s and checks it is within limit bytes and, when required, not
// empty; what names the field in the error.
func text(what, s string, limit int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		return "", invalid("%s is empty", what)
	case len(s) > limit:
		return "", invalid("%s is %d bytes, more than %d", what, len(s), limit)
	case strings.ContainsRune(s, 0):
		return "", invalid("%s holds a NUL byte", what)
	}
	return s, nil
}

// checkActor refuses an actor without a name.
func checkActor(a Actor) error {
	if strings.TrimSpace(a.User) == "" || len(a.User) > maxUser {
		return forbidden("no user name")
	}
	return nil
}

// dbTime is t as ClickHouse DateTime stores it (seconds, UTC, 1970-2106).
func dbTime(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Second)
	switch {
	case t.Before(time.Unix(0, 0)):
		return time.Unix(0, 0).UTC()
	case t.After(time.Unix(1<<32-1, 0)):
		return time.Unix(1<<32-1, 0).UTC()
	}
	return t
}

// insertRows writes rows through a batch naming its columns.
func insertRows(ctx context.Context, db *warehouse.DB, table string, columns []string, rows ...[]any) error {
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(columns, ", ")+")")
	if err != nil {
		return fmt.Errorf("writing %s: %w", table, err)
	}
	defer b.Close()
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			return fmt.Errorf("writing %s: %w", table, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("writing %s: %w", table, err)
	}
	return nil
}
