// Package store is the device's SQLite database (github.com/mattn/go-sqlite3,
// cgo): check-ins and their upload queue, downlink data from the collector
// (trust list, revocations, venue policy) and device settings. It is the
// only package that speaks SQL. The gate writes check-ins and reads trust
// data; sync/uplink drains the outbox, writes downlink blobs and keeps the
// device's identity in settings.
//
// # Schema
//
//	counters  'seq': the last sequence number handed out; 'acked': the
//	          collector's highest contiguous seq (the uploaded watermark);
//	          'purged': check-ins retention deleted before upload, ever
//	checkins  one row per decision: seq, wall time, boot id, monotonic time
//	          since boot, clock-synced flag, corrected time (filled later),
//	          source, decision, reason, card id, holder pseudonym, category,
//	          companion group, masked name, and the ledger it was made in
//	outbox    seq of every check-in not yet acknowledged
//	blobs     downlink data as signed bytes, with version, ETag, fetched-at
//	settings  key/value: device id, venue, enrollment state, the ledger
//	secrets   the pseudonym key
//	events    what happened to the store itself (corrupt file recovered)
//	recoveries  per recovery: the damaged file's ledger, rows salvaged, lost
//	purged    per ledger, seq ranges retention deleted before upload
//
// # Ledger
//
// Each database file is a ledger with an id of its own (Ledger), made with
// the file and never salvaged into another: (device, ledger, seq) is a
// check-in's identity at the collector. A file recovered from corruption,
// or a new SD card with the device's old identity, therefore numbers its
// check-ins without colliding with what the collector already holds;
// salvaged rows keep the ledger they were made in and go up under it, so
// the collector recognises any it already has. Outbox hands out one ledger
// at a time, oldest first. A file that made check-ins before ledgers
// existed keeps the empty ledger its uploads used.
//
// Migrations are embedded SQL files (migrations/NNN_name.sql), forward only,
// each applied in one transaction with its PRAGMA user_version. A file from
// a newer build is refused (ErrSchemaTooNew) rather than guessed at.
//
// # Durability
//
// The database runs in WAL mode with synchronous=FULL: RecordCheckin
// returns only after the check-in, its outbox row and the bumped counter
// are committed in one transaction and the WAL is fsynced, so a pass shown
// at the door survives a power cut. The seq comes from a counter row in
// that same transaction: a failed transaction uses no number, a deleted row
// frees none, so the collector can ack "everything up to N" and the device
// can delete exactly that.
//
// Writes go through one connection (SQLite allows one writer; queuing in Go
// is cheaper than SQLITE_BUSY retries); reads use a small pool that sees
// every committed write.
//
// Checkpoints are explicit (wal_autocheckpoint = 0). SQLite in WAL mode can
// only tear the main database file during a checkpoint, and SD cards and
// USB sticks may lie about fsync; so the daemon checkpoints when the door
// is idle (Checkpoint), Close checkpoints and truncates the WAL, and a
// background checkpoint after CheckpointAfter commits is only a safety net
// for a door that is never idle. An autocheckpoint would also put the main
// file's fsync on the latency of whichever check-in crossed the threshold.
//
// # Faults
//
// Every storage fault returns a typed error the gate maps to its "device
// fault, see staff" signal, and Health reports it until a write succeeds:
//
//   - SQLITE_FULL → ErrFull, StateFull. The failed transaction leaves
//     nothing behind and uses no seq. On a full partition even a delete
//     needs new WAL blocks, so the store keeps a reserve file of real
//     blocks beside the database (Options.ReserveBytes) and releases it
//     for the writes that free space (Ack, Purge); Probe, run by the
//     daemon's housekeeping, clears the state once the partition has room
//     again (no card needs to come) and restores the reserve. Tests fill
//     the file by capping PRAGMA max_page_count and a real 2 MiB tmpfs.
//   - SQLITE_READONLY → ErrReadOnly, StateReadOnly. Media that refuses
//     writes at Open opens read-only (mode=ro, else immutable=1) so the
//     gate still reads its trust data. Tests use PRAGMA query_only on the
//     writer (what a kernel remount read-only looks like to SQLite) and the
//     ext4 immutable flag on the file and directory (root cannot write
//     through it).
//   - A corrupt file at Open (PRAGMA quick_check fails, or not a database)
//     is moved aside to path.corrupt-<time> with its -wal and -shm, a new
//     database (a new ledger) is started, and what still reads is
//     salvaged: settings, the pseudonym key, downlink blobs, and the
//     un-uploaded check-ins range by range (a range that fails is halved
//     down to single rows, so a bad page costs only its own rows); the
//     counter ends above every salvaged seq. Health.Recovered, an event and
//     a Recovery (salvaged, lost) record it; the uplink reports it. Corruption found while running (ErrCorrupt, StateCorrupt) is left
//     for the next start to handle.
//   - Other I/O errors → ErrIO, StateIO.
//
// The check runs through a read-only connection before any read-write one
// opens the file, because SQLite discards a -wal that does not match its
// database and that file is worth keeping.
//
// # Retention
//
// Purge, run hourly by the daemon, deletes every check-in older than
// Options.RetentionDays by its best known time, uploaded or not, unless the
// venue keeps rows until uploaded (Options.KeepUntilUploaded); a queued row
// whose time predates 2020 (a clock never set) has no known age and waits
// for its upload. Deleting a queued row never breaks the exactly-once
// upload: seqs are not reused, the row's seq joins its ledger's purged
// ranges, and the uplink sends the ranges at or below a batch's floor with
// the batch, so the collector records that gap as purged, not lost. Ack
// forgets the ranges its ack passes; OutboxStats.Purged counts them all.
//
// # Privacy
//
// Log-only venues accept any QR text; only Pseudonym(text), an HMAC-SHA256
// under a per-device random key, is stored. Logs carry no card ids, names or
// pseudonyms.
//
// # Time
//
// Each check-in keeps the wall time, CurrentBootID, SinceBoot
// (CLOCK_BOOTTIME) and whether the clock was synchronised. When the clock
// is later trusted, CorrectClock fills in a corrected time for the boot's
// earlier rows from the monotonic offset, keeping the original beside it.
package store
