-- purged: seq ranges of check-ins deleted by retention before they were
-- uploaded (retention applies to every row unless the venue keeps rows until
-- uploaded). A range holds only purged seqs and seqs no longer queued, so
-- the uplink can tell the collector that a gap below its floor is a purge,
-- not a loss. A range is forgotten once the collector's ack passes it.
CREATE TABLE purged (
    ledger TEXT    NOT NULL,
    lo     INTEGER NOT NULL,
    hi     INTEGER NOT NULL,
    PRIMARY KEY (ledger, lo)
) STRICT;

-- 'purged': how many check-ins retention deleted before upload, ever; for
-- status, it never goes back.
INSERT INTO counters (name, value) VALUES ('purged', 0);
