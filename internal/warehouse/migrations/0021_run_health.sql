-- 0021: what a run says about its site file (issue 4): forum posts extracted and selector
-- health warnings.
--
-- runs, new columns:
--   posts      forum post records extracted
--   warnings   fields whose selectors matched on too few pages of the run (selector health)
ALTER TABLE runs ADD COLUMN posts UInt32 DEFAULT 0;
ALTER TABLE runs ADD COLUMN warnings Array(String) DEFAULT [];
