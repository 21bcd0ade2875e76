-- 0092_export_requests: four-eyes export requests and the console's audit trail.

-- export_requests: one row per version of an export request (read with FINAL). An investigator
-- prepares it from a case; an approver who is not the requester approves or rejects it; only an
-- approved request is built, by the same exporter as counternet export.
--   request_id      request id (xr-<16 hex>)
--   case_id         the case it was prepared from (see cases)
--   requested_by    investigator who prepared it
--   requested_at    when it was prepared (UTC)
--   partner         partner id (see partners)
--   tlp             TLP 2.0 label asked for
--   purpose         purpose stated for the export
--   legal_basis     legal basis stated for the export
--   selection       the selection the package will hold (JSON, as export.Selection)
--   minimize        fields the requester leaves out (table.column or a kind)
--   evidence        1 when the package carries the evidence its records rest on
--   evidence_form   full, index or '' (pages when the partner's policy allows them, else an index)
--   status          pending, approved, rejected, exported or failed
--   reviewed_by     approver who approved or rejected it ('' while pending)
--   reviewed_at     when it was reviewed (UTC; 1970 while pending)
--   reason          the approver's reason for a rejection, or a note with an approval
--   package_file    file name of the built package ('' until exported)
--   package_sha256  SHA-256 of the built package ('' until exported)
--   count_names     kinds of records the built package holds, parallel to count_values
--   count_values    records of each kind in the built package (its manifest's counts)
--   error           why the build failed ('' unless failed)
--   version         version of the request row: the highest one holds
CREATE TABLE IF NOT EXISTS export_requests
(
    request_id String,
    case_id String,
    requested_by String,
    requested_at DateTime,
    partner String,
    tlp String,
    purpose String,
    legal_basis String,
    selection String,
    minimize Array(String),
    evidence UInt8,
    evidence_form String,
    status String,
    reviewed_by String,
    reviewed_at DateTime,
    reason String,
    package_file String,
    package_sha256 String,
    count_names Array(String),
    count_values Array(UInt64),
    error String,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY request_id;

-- console_audit: every login, view of a vendor profile or case, and export step, with the user.
--   at        when it happened (UTC)
--   user      user who acted (or tried to, for a refused step or failed login)
--   action    what was done: login, login_failed, logout, view_vendor, view_case, view_evidence,
--             case_create, case_update, member_set, note_add, watch_add, watch_remove,
--             alert_status, export_request, export_review, export_approve, export_reject,
--             export_build, export_download (and view_export, view_audit when refused)
--   object    what it was done to: a vendor (market:handle), case id, request id or capture hash
--   case_id   the case it concerns ('' when none)
--   other     the other user of a four-eyes step (the requester for an approval, the approver for
--             a build), '' when none
--   outcome   ok, refused or failed
--   detail    the reason of a refusal or failure, or what changed
--   address   network address of the user's browser, when the console knows it
CREATE TABLE IF NOT EXISTS console_audit
(
    at DateTime,
    user String,
    action String,
    object String,
    case_id String,
    other String,
    outcome String,
    detail String,
    address String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, user, action);
