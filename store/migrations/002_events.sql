-- events records what happened to the store itself (a corrupt file moved
-- aside, what was salvaged) for status and for the technician.
CREATE TABLE events (
    id     INTEGER PRIMARY KEY,
    at_ns  INTEGER NOT NULL,
    kind   TEXT    NOT NULL,
    detail TEXT    NOT NULL
) STRICT;

-- Clock correction touches only the unsynchronised rows of one boot.
CREATE INDEX checkins_unsynced_by_boot ON checkins (boot_id) WHERE clock_synced = 0 AND corrected_ns IS NULL;
