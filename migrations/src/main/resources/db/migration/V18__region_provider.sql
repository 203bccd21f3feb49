-- Which capacity provider grows a region: 'static' (hosts join by enrollment only) or 'local'
-- (real agents started on the control plane's machine, for dev and tests).
ALTER TABLE regions ADD COLUMN provider text NOT NULL DEFAULT 'static' CHECK (provider IN ('static', 'local'));
