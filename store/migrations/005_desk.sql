-- desk_audit: what venue staff did at the kiosk's staff desk (sign-in,
-- manual check-in, undo, export). seq names the check-in an action made;
-- the check-ins themselves are uploaded like any other.
CREATE TABLE desk_audit (
    id     INTEGER PRIMARY KEY,
    at_ns  INTEGER NOT NULL,
    staff  TEXT    NOT NULL, -- the staff member's id, "" for a refused sign-in
    action TEXT    NOT NULL,
    detail TEXT    NOT NULL, -- never a name or a card id
    seq    INTEGER           -- the check-in made, if any
) STRICT;

-- An undo at the desk is a check-in of its own; these name the check-in
-- it takes back, so the duplicate window skips an undone pass.
ALTER TABLE checkins ADD COLUMN undoes_ledger TEXT;
ALTER TABLE checkins ADD COLUMN undoes_seq INTEGER;
CREATE INDEX checkins_undone ON checkins (undoes_seq) WHERE undoes_seq IS NOT NULL;

-- The desk's day list and look-up read check-ins by (corrected) time.
CREATE INDEX checkins_by_time ON checkins (coalesce(corrected_ns, at_ns));
