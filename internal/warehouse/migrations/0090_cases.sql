-- 0090_cases: the investigators' case workspaces: cases, their members and notes.
--
-- Mutable rows (cases, members) are ReplacingMergeTree tables with a version column: every
-- change inserts the whole row again with a higher version, and a reader takes the row of the
-- highest version (FINAL or argMax), so the history of a case stays in the table until the
-- engine merges it. Notes are never changed: one row per note.

-- cases: one row per version of a case (read with FINAL: the latest version of each case_id).
--   case_id      case id (case-<16 hex>), also the case reference of its exports
--   title        short title the investigators give the case
--   purpose      what the case is for, as stated when it was opened
--   legal_basis  law or order under which the case processes data
--   status       open or closed
--   created_by   user who opened the case
--   created_at   when the case was opened (UTC)
--   updated_by   user who wrote this version
--   updated_at   when this version was written (UTC)
--   version      version of the row: the highest one is the case as it stands
CREATE TABLE IF NOT EXISTS cases
(
    case_id String,
    title String,
    purpose String,
    legal_basis String,
    status String,
    created_by String,
    created_at DateTime,
    updated_by String,
    updated_at DateTime,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY case_id;

-- case_members: who works on a case and in what role (read with FINAL; removed rows stay as
-- their latest version with removed = 1).
--   case_id    the case (see cases)
--   user       user name as the console knows it
--   case_role  role within the case: lead (manages members), member (works the case) or viewer (reads)
--   added_by   user who last set this membership
--   added_at   when this version was written (UTC)
--   removed    1 when the user no longer belongs to the case
--   version    version of the membership row: the highest one holds
CREATE TABLE IF NOT EXISTS case_members
(
    case_id String,
    user String,
    case_role String,
    added_by String,
    added_at DateTime,
    removed UInt8,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (case_id, user);

-- case_notes: notes written on a case, never changed or deleted.
--   case_id  the case (see cases)
--   note_id  note id (random, unique)
--   at       when the note was written (UTC)
--   author   user who wrote it
--   body     the note's text (bounded)
CREATE TABLE IF NOT EXISTS case_notes
(
    case_id String,
    note_id String,
    at DateTime,
    author String,
    body String
)
ENGINE = ReplacingMergeTree
ORDER BY (case_id, at, note_id);
