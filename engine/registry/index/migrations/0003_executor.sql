-- 0003_executor: where an execution that ran ran (engine/executor): local,
-- process or kubernetes. NULL for executions from before, and for those
-- that did not run (cached, skipped).
ALTER TABLE executions ADD COLUMN executor TEXT;
