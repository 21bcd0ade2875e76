package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a user may do in the console.
type Role string

// The roles. A user holds one or more; no role implies another.
const (
	// Analyst reads: search, vendor profiles, routes, evidence.
	Analyst Role = "analyst"
	// Investigator works cases and watchlists and requests exports.
	Investigator Role = "investigator"
	// Approver reviews export requests and approves or rejects them.
	Approver Role = "approver"
	// Operator watches sources, runs and health.
	Operator Role = "operator"
	// Admin manages the console's users.
	Admin Role = "admin"
)

// Roles are every role, in the order the console lists them.
var Roles = []Role{Analyst, Investigator, Approver, Operator, Admin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// ParseRoles reads a comma-separated list of roles ("analyst,investigator"),
// sorted in the order of Roles with duplicates removed. An unknown or an
// empty list is an error.
func ParseRoles(s string) ([]Role, error) {
	seen := map[Role]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		r := Role(f)
		if !r.Valid() {
			return nil, fmt.Errorf("unknown role %q: want %s", f, RoleNames())
		}
		seen[r] = true
	}
	var out []Role
	for _, r := range Roles {
		if seen[r] {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no role given: want one or more of %s", RoleNames())
	}
	return out, nil
}

// RoleNames lists the roles, comma separated.
func RoleNames() string {
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// JoinRoles renders roles comma separated.
func JoinRoles(rs []Role) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return strings.Join(names, ",")
}
