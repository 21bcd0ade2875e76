-- 0005_export_audit: every export and every refusal.

-- export_audit: one row per export attempt, written by the exporter whether
-- the package was written or refused.
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
--   outcome         exported or refused
--   reason          why it was refused ('' when exported)
CREATE TABLE IF NOT EXISTS export_audit
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
