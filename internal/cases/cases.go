package cases

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Case statuses.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Case is a case as it stands, with its current members.
type Case struct {
	ID         string
	Title      string
	Purpose    string
	LegalBasis string
	Status     string // StatusOpen or StatusClosed
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedBy  string
	UpdatedAt  time.Time
	Members    []Member // current members, by user name
}

// Member is a user's role within a case.
type Member struct {
	User    string
	Role    string // CaseLead, CaseMember or CaseViewer
	AddedBy string
	AddedAt time.Time
}

// Role is user's role within the case, or "" when not a member.
func (c *Case) Role(user string) string {
	for _, m := range c.Members {
		if m.User == user {
			return m.Role
		}
	}
	return ""
}

// CaseInput is what a user writes when opening or editing a case.
type CaseInput struct {
	Title      string
	Purpose    string
	LegalBasis string
}

func (in CaseInput) clean() (CaseInput, error) {
	var err error
	if in.Title, err = text("title", in.Title, maxTitle, true); err != nil {
		return in, err
	}
	if in.Purpose, err = text("purpose", in.Purpose, maxText, true); err != nil {
		return in, err
	}
	if in.LegalBasis, err = text("legal basis", in.LegalBasis, maxText, true); err != nil {
		return in, err
	}
	return in, nil
}

var caseColumns = []string{"case_id", "title", "purpose", "legal_basis", "status", "created_by", "created_at", "updated_by", "updated_at", "version"}

func (s *Service) writeCase(ctx context.Context, c *Case) error {
	return insertRows(ctx, s.DB, "cases", caseColumns, []any{c.ID, c.Title, c.Purpose, c.LegalBasis, c.Status,
		c.CreatedBy, dbTime(c.CreatedAt), c.UpdatedBy, dbTime(c.UpdatedAt), nextVersion()})
}

var memberColumns = []string{"case_id", "user", "case_role", "added_by", "added_at", "removed", "version"}

// CreateCase opens a case; the actor, who must be an investigator, becomes
// its lead. Audited as case_create.
func (s *Service) CreateCase(ctx context.Context, a Actor, in CaseInput) (*Case, error) {
	if err := checkActor(a); err != nil {
		return nil, err
	}
	if !a.Has(RoleInvestigator) {
		return nil, s.refused(ctx, a, "case_create", "", "", forbidden("%s is not an investigator", a.User))
	}
	in, err := in.clean()
	if err != nil {
		return nil, err
	}
	now := s.now()
	c := &Case{ID: newID("case"), Title: in.Title, Purpose: in.Purpose, LegalBasis: in.LegalBasis, Status: StatusOpen,
		CreatedBy: a.User, CreatedAt: now, UpdatedBy: a.User, UpdatedAt: now,
		Members: []Member{{User: a.User, Role: CaseLead, AddedBy: a.User, AddedAt: dbTime(now)}}}
	if err := s.writeCase(ctx, c); err != nil {
		return nil, fmt.Errorf("creating case: %w", err)
	}
	if err := insertRows(ctx, s.DB, "case_members", memberColumns, []any{c.ID, a.User, CaseLead, a.User, dbTime(now), uint8(0), nextVersion()}); err != nil {
		return nil, fmt.Errorf("creating case %s: %w", c.ID, err)
	}
	c.CreatedAt, c.UpdatedAt = dbTime(now), dbTime(now)
	return c, s.audit(ctx, a, "case_create", c.ID, c.ID, "", "ok", c.Title)
}

// UpdateCase changes the title, purpose and legal basis of a case, and
// closes or reopens it (status StatusOpen or StatusClosed; "" keeps it).
// Only the case's lead may. Audited as case_update.
func (s *Service) UpdateCase(ctx context.Context, a Actor, id string, in CaseInput, status string) (*Case, error) {
	c, err := s.caseFor(ctx, a, id, "case_update", CaseLead)
	if err != nil {
		return nil, err
	}
	if in, err = in.clean(); err != nil {
		return nil, err
	}
	switch status {
	case "":
	case StatusOpen, StatusClosed:
		c.Status = status
	default:
		return nil, invalid("case status %q: want %s or %s", status, StatusOpen, StatusClosed)
	}
	c.Title, c.Purpose, c.LegalBasis, c.UpdatedBy, c.UpdatedAt = in.Title, in.Purpose, in.LegalBasis, a.User, dbTime(s.now())
	if err := s.writeCase(ctx, c); err != nil {
		return nil, fmt.Errorf("updating case %s: %w", id, err)
	}
	return c, s.audit(ctx, a, "case_update", id, id, "", "ok", "status "+c.Status)
}

// SetMember adds user to the case or changes its case role (CaseLead,
// CaseMember or CaseViewer); role "" removes the user. Only a lead may,
// and the last lead cannot be removed or demoted. Audited as member_set.
func (s *Service) SetMember(ctx context.Context, a Actor, caseID, user, role string) (*Case, error) {
	c, err := s.caseFor(ctx, a, caseID, "member_set", CaseLead)
	if err != nil {
		return nil, err
	}
	if user, err = text("user", user, maxUser, true); err != nil {
		return nil, err
	}
	if role != "" && role != CaseLead && role != CaseMember && role != CaseViewer {
		return nil, invalid("case role %q: want %s, %s or %s", role, CaseLead, CaseMember, CaseViewer)
	}
	leads := 0
	for _, m := range c.Members {
		if m.Role == CaseLead && m.User != user {
			leads++
		}
	}
	if leads == 0 && role != CaseLead {
		return nil, s.refused(ctx, a, "member_set", caseID, caseID, fmt.Errorf("%w: %s is the case's only lead", ErrState, user))
	}
	removed := uint8(0)
	if role == "" {
		removed = 1
	}
	now := dbTime(s.now())
	if err := insertRows(ctx, s.DB, "case_members", memberColumns, []any{caseID, user, role, a.User, now, removed, nextVersion()}); err != nil {
		return nil, fmt.Errorf("setting member %s of case %s: %w", user, caseID, err)
	}
	c.Members = slices.DeleteFunc(c.Members, func(m Member) bool { return m.User == user })
	if role != "" {
		c.Members = append(c.Members, Member{User: user, Role: role, AddedBy: a.User, AddedAt: now})
		slices.SortFunc(c.Members, func(x, y Member) int { return cmpString(x.User, y.User) })
	}
	return c, s.audit(ctx, a, "member_set", caseID, caseID, user, "ok", "role "+orNone(role))
}

func orNone(s string) string {
	if s == "" {
		return "none (removed)"
	}
	return s
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Case returns a case with its members, for a member of it (any case role)
// or an admin. Audited as view_case.
func (s *Service) Case(ctx context.Context, a Actor, id string) (*Case, error) {
	c, err := s.caseFor(ctx, a, id, "view_case", CaseViewer)
	if err != nil {
		return nil, err
	}
	return c, s.audit(ctx, a, "view_case", id, id, "", "ok", "")
}

// Cases lists the cases the actor is a member of (every case for an admin),
// most recently changed first.
func (s *Service) Cases(ctx context.Context, a Actor) ([]Case, error) {
	if err := checkActor(a); err != nil {
		return nil, err
	}
	q := "SELECT case_id, title, purpose, legal_basis, status, created_by, created_at, updated_by, updated_at FROM cases FINAL"
	args := []any{}
	if !a.Has(RoleAdmin) {
		q += " WHERE case_id IN (SELECT case_id FROM case_members FINAL WHERE user = ? AND removed = 0)"
		args = append(args, a.User)
	}
	q += fmt.Sprintf(" ORDER BY updated_at DESC, case_id LIMIT %d", maxList)
	rows, err := s.DB.Conn().Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		var c Case
		if err := rows.Scan(&c.ID, &c.Title, &c.Purpose, &c.LegalBasis, &c.Status, &c.CreatedBy, &c.CreatedAt, &c.UpdatedBy, &c.UpdatedAt); err != nil {
			return nil, fmt.Errorf("listing cases: %w", err)
		}
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing cases: %w", err)
	}
	return out, nil
}

// loadCase reads a case and its current members, without checks.
func (s *Service) loadCase(ctx context.Context, id string) (*Case, error) {
	var c Case
	err := s.DB.Conn().QueryRow(ctx, "SELECT case_id, title, purpose, legal_basis, status, created_by, created_at, updated_by, updated_at "+
		"FROM cases FINAL WHERE case_id = ?", id).
		Scan(&c.ID, &c.Title, &c.Purpose, &c.LegalBasis, &c.Status, &c.CreatedBy, &c.CreatedAt, &c.UpdatedBy, &c.UpdatedAt)
	if err != nil {
		if isNoRows(err) {
			return nil, fmt.Errorf("%w: no case %q", ErrNotFound, id)
		}
		return nil, fmt.Errorf("reading case %s: %w", id, err)
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	rows, err := s.DB.Conn().Query(ctx, "SELECT user, case_role, added_by, added_at FROM case_members FINAL "+
		"WHERE case_id = ? AND removed = 0 ORDER BY user", id)
	if err != nil {
		return nil, fmt.Errorf("reading members of case %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.User, &m.Role, &m.AddedBy, &m.AddedAt); err != nil {
			return nil, fmt.Errorf("reading members of case %s: %w", id, err)
		}
		m.AddedAt = m.AddedAt.UTC()
		c.Members = append(c.Members, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading members of case %s: %w", id, err)
	}
	return &c, nil
}

// roleRank orders case roles by what they allow.
func roleRank(role string) int {
	return map[string]int{CaseViewer: 1, CaseMember: 2, CaseLead: 3}[role]
}

// caseFor reads a case for an action needing at least the case role need
// (an admin may read any case). A refusal is audited as action.
func (s *Service) caseFor(ctx context.Context, a Actor, id, action, need string) (*Case, error) {
	if err := checkActor(a); err != nil {
		return nil, err
	}
	c, err := s.loadCase(ctx, id)
	if err != nil {
		return nil, err
	}
	role := c.Role(a.User)
	if roleRank(role) >= roleRank(need) || (need == CaseViewer && a.Has(RoleAdmin)) {
		if need != CaseViewer && c.Status == StatusClosed && action != "case_update" {
			return nil, s.refused(ctx, a, action, id, id, fmt.Errorf("%w: case %s is closed", ErrState, id))
		}
		return c, nil
	}
	return nil, s.refused(ctx, a, action, id, id, forbidden("%s is %s of case %s; %s needs %s", a.User, orNotMember(role), id, action, need))
}

func orNotMember(role string) string {
	if role == "" {
		return "not a member"
	}
	return "a " + role
}

// Note is one note on a case.
type Note struct {
	ID     string // note-<creation time in ns, hex><random>: ids sort in the order written
	CaseID string
	At     time.Time
	Author string
	Body   string
}

// AddNote writes a note on a case (lead or member). Audited as note_add.
func (s *Service) AddNote(ctx context.Context, a Actor, caseID, body string) (*Note, error) {
	if _, err := s.caseFor(ctx, a, caseID, "note_add", CaseMember); err != nil {
		return nil, err
	}
	body, err := text("note", body, maxNote, true)
	if err != nil {
		return nil, err
	}
	n := &Note{ID: fmt.Sprintf("note-%016x%s", nextVersion(), newID("")[1:9]), CaseID: caseID, At: dbTime(s.now()), Author: a.User, Body: body}
	if err := insertRows(ctx, s.DB, "case_notes", []string{"case_id", "note_id", "at", "author", "body"},
		[]any{n.CaseID, n.ID, n.At, n.Author, n.Body}); err != nil {
		return nil, fmt.Errorf("adding a note to case %s: %w", caseID, err)
	}
	return n, s.audit(ctx, a, "note_add", n.ID, caseID, "", "ok", "")
}

// Notes lists a case's notes, oldest first (any case role, or an admin).
func (s *Service) Notes(ctx context.Context, a Actor, caseID string) ([]Note, error) {
	if _, err := s.caseFor(ctx, a, caseID, "view_case", CaseViewer); err != nil {
		return nil, err
	}
	rows, err := s.DB.Conn().Query(ctx, fmt.Sprintf("SELECT note_id, at, author, body FROM case_notes FINAL WHERE case_id = ? "+
		"ORDER BY at, note_id LIMIT %d", maxList), caseID)
	if err != nil {
		return nil, fmt.Errorf("reading notes of case %s: %w", caseID, err)
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		n := Note{CaseID: caseID}
		if err := rows.Scan(&n.ID, &n.At, &n.Author, &n.Body); err != nil {
			return nil, fmt.Errorf("reading notes of case %s: %w", caseID, err)
		}
		n.At = n.At.UTC()
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading notes of case %s: %w", caseID, err)
	}
	return out, nil
}
