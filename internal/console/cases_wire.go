package console

import (
	"context"

	"github.com/counternet/counternet/internal/auth"
)

// openCases are the open cases the user is a member of, for the vendor
// profile's watchlist form. The cases are wired in once internal/cases
// is merged; until then there are none.
func (s *Server) openCases(ctx context.Context, sess *auth.Session) []caseRef { return nil }
