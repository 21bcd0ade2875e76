package cases_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/cases"
)

func TestCaseMembersNotes(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	ctx := context.Background()
	w := newWorld(t)
	s := w.service()

	if _, err := s.CreateCase(ctx, olga, cases.CaseInput{Title: "x", Purpose: "y", LegalBasis: "z"}); !errors.Is(err, cases.ErrForbidden) {
		t.Fatalf("an analyst opened a case: %v", err)
	}
	if _, err := s.CreateCase(ctx, ivan, cases.CaseInput{Title: " ", Purpose: "y", LegalBasis: "z"}); !errors.Is(err, cases.ErrInvalid) {
		t.Fatalf("a case without a title: %v", err)
	}
	c, err := s.CreateCase(ctx, ivan, cases.CaseInput{Title: "Operation Lantern", Purpose: "Identify the NL-DE MDMA suppliers",
		LegalBasis: "StPO §100a, order 12 Js 345/26"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != cases.StatusOpen || c.Role("ivan") != cases.CaseLead || !strings.HasPrefix(c.ID, "case-") {
		t.Fatalf("new case %+v", c)
	}

	// Only members (and admins) see it.
	if _, err := s.Case(ctx, inge, c.ID); !errors.Is(err, cases.ErrForbidden) {
		t.Fatalf("a non-member read the case: %v", err)
	}
	if _, err := s.Case(ctx, ivan, "case-0000000000000000"); !errors.Is(err, cases.ErrNotFound) {
		t.Fatalf("reading a case that does not exist: %v", err)
	}
	if _, err := s.SetMember(ctx, ivan, c.ID, "inge", cases.CaseMember); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMember(ctx, ivan, c.ID, "olga", cases.CaseViewer); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMember(ctx, inge, c.ID, "anna", cases.CaseMember); !errors.Is(err, cases.ErrForbidden) {
		t.Fatalf("a member (not lead) set a member: %v", err)
	}
	if _, err := s.SetMember(ctx, ivan, c.ID, "ivan", ""); !errors.Is(err, cases.ErrState) {
		t.Fatalf("the only lead removed himself: %v", err)
	}
	got, err := s.Case(ctx, olga, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, m := range got.Members {
		members = append(members, m.User+"="+m.Role)
	}
	if strings.Join(members, ",") != "inge=member,ivan=lead,olga=viewer" {
		t.Errorf("members %v", members)
	}
	if got.Title != "Operation Lantern" || got.LegalBasis != "StPO §100a, order 12 Js 345/26" || got.CreatedBy != "ivan" {
		t.Errorf("case read back %+v", got)
	}
	if _, err := s.Case(ctx, admin, c.ID); err != nil {
		t.Errorf("an admin cannot read the case: %v", err)
	}

	// Notes: members write, viewers read.
	if _, err := s.AddNote(ctx, inge, c.ID, "Vendor DutchDirect seems to use a second handle."); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNote(ctx, ivan, c.ID, "Asked NL for a preservation order."); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddNote(ctx, olga, c.ID, "viewer note"); !errors.Is(err, cases.ErrForbidden) {
		t.Fatalf("a viewer wrote a note: %v", err)
	}
	if _, err := s.AddNote(ctx, ivan, c.ID, strings.Repeat("x", 70<<10)); !errors.Is(err, cases.ErrInvalid) {
		t.Fatalf("a 70 KiB note: %v", err)
	}
	notes, err := s.Notes(ctx, olga, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 || notes[0].Author != "inge" || notes[1].Author != "ivan" || !strings.Contains(notes[0].Body, "second handle") {
		t.Errorf("notes %+v", notes)
	}

	// The lead edits and closes the case; a closed case takes no notes.
	if _, err := s.UpdateCase(ctx, inge, c.ID, cases.CaseInput{Title: "t", Purpose: "p", LegalBasis: "l"}, ""); !errors.Is(err, cases.ErrForbidden) {
		t.Fatalf("a member edited the case: %v", err)
	}
	up, err := s.UpdateCase(ctx, ivan, c.ID, cases.CaseInput{Title: "Operation Lantern II", Purpose: got.Purpose, LegalBasis: got.LegalBasis}, cases.StatusClosed)
	if err != nil {
		t.Fatal(err)
	}
	if up.Status != cases.StatusClosed {
		t.Errorf("status %s after closing", up.Status)
	}
	if _, err := s.AddNote(ctx, ivan, c.ID, "after closing"); !errors.Is(err, cases.ErrState) {
		t.Fatalf("a note on a closed case: %v", err)
	}
	list, err := s.Cases(ctx, inge)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Title != "Operation Lantern II" || list[0].Status != cases.StatusClosed {
		t.Errorf("inge's cases %+v", list)
	}
	if list, err := s.Cases(ctx, anna); err != nil || len(list) != 0 {
		t.Errorf("anna's cases %+v, %v", list, err)
	}

	// Every step is in the audit with its user, refusals too.
	views := auditOf(t, s, "view_case")
	var okViews, refusedViews int
	for _, e := range views {
		if e.Object != c.ID || e.CaseID != c.ID {
			t.Errorf("view_case entry %+v", e)
		}
		switch {
		case e.Outcome == cases.AuditOK:
			okViews++
		case e.Outcome == cases.AuditRefused && e.User == "inge":
			refusedViews++
		}
	}
	if okViews < 2 || refusedViews != 1 {
		t.Errorf("view_case audited %d ok, %d refused for inge: %+v", okViews, refusedViews, views)
	}
	creates := auditOf(t, s, "case_create")
	if len(creates) != 2 || creates[0].User == creates[1].User {
		t.Errorf("case_create entries %+v", creates)
	}
	for _, e := range creates {
		if e.User == "ivan" && (e.Outcome != cases.AuditOK || e.Address != "127.0.0.1") {
			t.Errorf("ivan's case_create %+v", e)
		}
		if e.User == "olga" && e.Outcome != cases.AuditRefused {
			t.Errorf("olga's case_create %+v", e)
		}
	}
	if ms := auditOf(t, s, "member_set"); len(ms) != 4 {
		t.Errorf("member_set entries %+v", ms)
	}
	if _, err := s.AuditTrail(ctx, inge, cases.AuditFilter{}); !errors.Is(err, cases.ErrForbidden) {
		t.Errorf("a member read the whole audit: %v", err)
	}
	if es, err := s.AuditTrail(ctx, inge, cases.AuditFilter{CaseID: c.ID}); err != nil || len(es) == 0 {
		t.Errorf("a member reading the audit of the case: %d entries, %v", len(es), err)
	}
}
