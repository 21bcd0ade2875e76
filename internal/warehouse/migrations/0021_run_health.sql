-- 0021_run_health: what a run says about its site file: forum posts extracted and selector
-- health warnings.
--
-- runs, new columns:
--   posts      forum post records extracted
--   warnings   fields whose selectors matched on too few pages of the run (selector health)
ALTER TABLE runs ADD COLUMN posts UInt32 DEFAULT 0;
ALTER TABLE runs ADD COLUMN warnings Array(String) DEFAULT [];
