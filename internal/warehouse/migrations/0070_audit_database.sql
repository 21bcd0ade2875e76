-- 0070_audit_database: export_audit moves to a database of its own that only the exporter writes.
--
-- ClickHouse 18.16 has no per-table grants; its only per-user scope is the list of databases a
-- user may use (allow_databases). So the audit trail moves to <database>_audit: the managed server
-- lets the writer (counternet) use <database> only, the exporter and the analysts (readonly) both;
-- docs/security.md gives the same users.xml for an external server. The rows of the old table are
-- copied (a copy run again adds nothing), the old table is dropped and its name kept as a view of
-- the new one, so queries reading export_audit in <database> still answer for whoever may read
-- <database>_audit; the writer may not. This migration runs as the exporter (warehouse.
-- MigrateOptions.Audit): the writer may not create, fill or read <database>_audit.
--
-- <database>_audit.export_audit holds the columns of the view below, ENGINE = MergeTree,
-- PARTITION BY toYYYYMM(at), ORDER BY (at, export_id); on a cluster a ReplicatedMergeTree with a
-- full copy on every node.

CREATE DATABASE IF NOT EXISTS {audit};

CREATE TABLE IF NOT EXISTS {audit}.export_audit
(
    export_id String,
    at DateTime,
    who String,
    partner String,
    partner_country String,
    tlp String,
    purpose String,
    legal_basis String,
    case_ref String,
    selection String,
    count_names Array(String),
    count_values Array(UInt64),
    package_sha256 String,
    package_file String,
    outcome String,
    reason String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, export_id);

INSERT INTO {audit}.export_audit (export_id, at, who, partner, partner_country, tlp, purpose, legal_basis, case_ref,
    selection, count_names, count_values, package_sha256, package_file, outcome, reason)
SELECT export_id, at, who, partner, partner_country, tlp, purpose, legal_basis, case_ref,
    selection, count_names, count_values, package_sha256, package_file, outcome, reason
FROM export_audit
WHERE (export_id, at, outcome, reason) NOT IN (SELECT export_id, at, outcome, reason FROM {audit}.export_audit);

-- export_audit: every export attempt, as <database>_audit.export_audit holds
-- it (read-only: only the exporter appends, to the audit database).
--   export_id       id of the attempt (random or derived by the exporter)
--   at              when (UTC)
--   who             the investigator who asked (login or name)
--   partner         partner id (see partners)
--   partner_country  alpha-2 code of the partner's country
--   tlp             TLP 2.0 label of the package
--   purpose         purpose stated for the export
--   legal_basis     legal basis stated (e.g. Budapest Art. 29, MLA treaty)
--   case_ref        case reference
--   selection       what was selected, as the exporter describes it (filters, time range)
--   count_names     kinds of records exported, parallel to count_values
--   count_values    records of each kind
--   package_sha256  SHA-256 of the package file ('' when refused)
--   package_file    file name of the package ('' when refused)
--   outcome         exported, refused or failed
--   reason          why it was refused or failed ('' when exported)
DROP TABLE IF EXISTS export_audit;
CREATE VIEW IF NOT EXISTS export_audit AS
SELECT export_id, at, who, partner, partner_country, tlp, purpose, legal_basis, case_ref,
    selection, count_names, count_values, package_sha256, package_file, outcome, reason
FROM {audit}.export_audit;
