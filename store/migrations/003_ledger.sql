-- ledger: the incarnation of this database file. A new file (first boot, a
-- corrupt file recovered, an SD card replaced) starts a new ledger, so its
-- seqs can never collide with what the collector holds from an earlier
-- file: (device, ledger, seq) identifies a check-in. A file that already
-- made check-ins keeps the empty ledger its uploads used so far.
INSERT INTO settings (key, value)
SELECT 'ledger', CASE WHEN (SELECT value FROM counters WHERE name = 'seq') > 0
                      THEN '' ELSE lower(hex(randomblob(8))) END;

-- Each row keeps the ledger it was made in: rows salvaged from a corrupt
-- file go up under their old identity, so the collector deduplicates them.
ALTER TABLE checkins ADD COLUMN ledger TEXT NOT NULL DEFAULT '';

-- recoveries: what each recovery of a corrupt file salvaged and lost, for
-- status and for the collector (sent with every batch). lost is -1 when the
-- damaged file no longer tells how many it held.
CREATE TABLE recoveries (
    id       INTEGER PRIMARY KEY,
    at_ns    INTEGER NOT NULL,
    ledger   TEXT    NOT NULL, -- the damaged file's ledger
    salvaged INTEGER NOT NULL,
    lost     INTEGER NOT NULL,
    moved_to TEXT    NOT NULL
) STRICT;
