-- A result (or a refusal) an operation waits for was recorded while its job was running: the job
-- itself reschedules to "now" instead of to its deadline. Set under the operation row's lock by
-- whoever records the result; cleared by the job's next step, which reads what was recorded.
ALTER TABLE operations ADD COLUMN woken_at timestamptz;
