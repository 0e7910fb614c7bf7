-- Check-ins, the upload queue, downlink data and device settings.
-- Times are Unix nanoseconds; durations are nanoseconds.

-- counters: 'seq' is the per-device sequence. It is bumped in the same
-- transaction as the check-in it numbers, so a seq is never reused (rows
-- are deleted by Ack and Purge, the counter never goes back) and never
-- skipped (a failed transaction rolls the bump back with the row).
-- 'acked' is the collector's highest contiguous seq: check-ins at or below
-- it are uploaded. A watermark rather than a per-row flag, so an ack on a
-- full card only frees pages and never needs a new one.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
INSERT INTO counters (name, value) VALUES ('seq', 0), ('acked', 0);

CREATE TABLE checkins (
    seq          INTEGER PRIMARY KEY,
    at_ns        INTEGER NOT NULL, -- wall clock when decided
    boot_id      TEXT    NOT NULL, -- /proc/sys/kernel/random/boot_id
    mono_ns      INTEGER NOT NULL, -- CLOCK_BOOTTIME at decision
    clock_synced INTEGER NOT NULL, -- 1 when the wall clock was trustworthy
    corrected_ns INTEGER,          -- wall time derived later from mono_ns
    source       TEXT    NOT NULL,
    decision     TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    card_id      TEXT    NOT NULL,
    holder       TEXT    NOT NULL, -- keyed hash, never raw QR text
    category     TEXT    NOT NULL,
    grp          INTEGER NOT NULL,
    name         TEXT    NOT NULL  -- masked display name
) STRICT;

-- The duplicate-window lookup: one seek per presented card.
CREATE INDEX checkins_pass_by_card ON checkins (card_id, at_ns) WHERE decision = 'pass';

-- outbox lists the check-ins not yet acknowledged by the collector.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY REFERENCES checkins (seq)
) STRICT;

-- blobs keeps downlink data (trust list, revocations, policy) exactly as
-- signed by the collector, so the gate can verify what it reads.
CREATE TABLE blobs (
    kind       TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    etag       TEXT    NOT NULL,
    fetched_ns INTEGER NOT NULL,
    stored_ns  INTEGER NOT NULL
) STRICT;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
