// Package cases is the investigators' workspace behind the console: cases
// with members and notes, watchlists and the alerts they raise, four-eyes
// export requests, and the console audit. Everything is stored in
// ClickHouse (migrations 0090-0092: cases, case_members, case_notes,
// watchlist, watch_known, case_alerts, watcher_state, export_requests,
// console_audit). The package takes user names and roles as plain strings
// (Actor); it does not know how users log in.
//
// # Wiring it (console role)
//
//	svc := &cases.Service{DB: db, Exporter: exporter, ExportDir: filepath.Join(dataDir, "exports"), Log: log}
//	w := &cases.Watcher{DB: db, Alerts: metrics.Alerts, Log: log}
//	g.Go(func() error { return w.Run(ctx) }) // scans every 30 s; w.Scan(ctx) once in tests
//
// The exporter is the one `counternet export` builds (signing key, partner
// directory, capture store, audit log); its Partners are the partners a
// request may name. Every Service method takes the acting user as
// cases.Actor{User, Roles, Address}, with Roles the console roles
// (RoleAnalyst, RoleInvestigator, RoleApprover, RoleOperator, RoleAdmin)
// and Address the browser's address for the audit.
//
// # What each call allows, and what it audits
//
//	CreateCase                 investigator; becomes the case's lead              case_create
//	Case, Cases                a member of any case role, or admin                view_case (Case)
//	UpdateCase, SetMember      the case's lead (the last lead stays)              case_update, member_set
//	AddNote, Notes             lead or member write; viewers read                 note_add
//	AddWatch, RemoveWatch      lead or member                                     watch_add, watch_remove
//	Watchlist, Alerts          any case role                                      -
//	SetAlertStatus             lead or member (new, seen, dismissed)              alert_status
//	RequestExport              investigator who is lead or member of the case     export_request
//	ExportRequests             case members (by case); approvers, admins (all)    -
//	Review                     approver, the requester, case members              export_review
//	Approve, Reject            approver who is not the requester                  export_approve, export_build / export_reject
//	PackagePath                requester, approver, admin, case members           export_download
//	Record                     the console's own steps: login, login_failed,      (as given)
//	                           logout, view_vendor, view_evidence
//	AuditTrail                 admins and approvers; case members for their case  -
//
// A closed case (UpdateCase with StatusClosed) takes no notes, watches or
// export requests until its lead reopens it; its watchlist keeps raising
// alerts (remove the items to stop them). Refusals are returned as
// errors wrapping ErrForbidden, ErrNotFound, ErrInvalid, ErrFourEyes or
// ErrState (map them to 403, 404, 400, 403 and 409) and are audited with
// outcome "refused"; malformed input (ErrInvalid) is returned, not audited.
//
// # Watchlists and alerts
//
// A case watches handles (any market; and the PGP keys and crypto addresses
// that handle has shown), PGP fingerprints, crypto addresses and routes
// into a country (WatchHandle, WatchPGP, WatchCrypto, WatchRoute; values
// are normalized by NormalizeWatch). AddWatch first records what the
// warehouse already shows of the item (watch_known: the vendor identities
// (market, handle) showing it, or the origins of routes into the country),
// so nothing known when it was watched raises an alert.
//
// Watcher.Scan reads the listing and vendor observations inserted since the
// persisted watermark (watcher_state) and raises, per watched item:
//   - new_market: the identifier on a market under a handle it was known
//     under (or the watched handle itself on a new market);
//   - new_handle: the identifier under a handle it was never known under
//     (a watched handle's key or address used by another handle);
//   - new_route: listings into the watched country from an origin not
//     seen before (listings of unknown origin make no route).
//
// One alert per new vendor identity or origin: its id is derived from the
// watched item and what is new, and an identity or origin alerted once is
// known from then on, so scanning the same rows again (the overlap, a crash
// before the watermark was saved, a second watcher) raises nothing twice,
// and a restarted watcher reads on from the persisted watermark, missing
// nothing. Each scan starts Overlap (5 min) before the end of the last one,
// since rows are stamped inserted_at when their insert starts. Each alert
// names the earliest new observation's time and captured page
// (Alert.Capture, a SHA-256 for the evidence viewer). Raised alerts are
// counted in counternet_alerts_total{kind}.
//
// # Four-eyes exports
//
// RequestExport stores an ExportDraft (partner, TLP, selection, fields left
// out, evidence form) after checking it against the partner's policy; the
// partner's excluded fields are added to those left out. Review summarizes
// it for the approver from the request's own selection: counts per kind,
// TLP, excluded fields, evidence form. Approve (an approver, never the
// requester, even one who is also an approver) records the approval and
// builds the package through export.Exporter with Request.Who the
// requester and Request.ApprovedBy the approver, into
// ExportDir/<request id>.cnpkg; the request then holds the package's
// SHA-256 and manifest counts. A failed build leaves the request "failed"
// with the reason; it may be approved again. Approve builds before it
// returns (seconds to minutes for a large selection with evidence): give it
// a context that does not end when the approver's browser goes away.
// Reject needs a reason. State
// changes of requests are serialized within one Service; run one console
// process per database for the four-eyes steps (a second build of the same
// request is refused by the exporter, whose output file then exists).
package cases
