-- The collector's schema before versioned migrations (commit 02469ac), kept
-- to test that an old database migrates in place.
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS venues (id TEXT PRIMARY KEY, name TEXT NOT NULL, policy TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enroll_tokens (
  hash TEXT PRIMARY KEY, venue TEXT NOT NULL REFERENCES venues(id),
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER, device TEXT);
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY, venue TEXT NOT NULL REFERENCES venues(id), public_key BLOB NOT NULL UNIQUE,
  hardware TEXT NOT NULL, enrolled_at INTEGER NOT NULL, revoked_at INTEGER, ack_seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS boot_anchors (
  device TEXT NOT NULL, boot_id TEXT NOT NULL, boot_wall INTEGER NOT NULL, PRIMARY KEY (device, boot_id));
CREATE TABLE IF NOT EXISTS checkins (
  device TEXT NOT NULL, seq INTEGER NOT NULL, venue TEXT NOT NULL,
  t INTEGER NOT NULL, at INTEGER NOT NULL, corrected_at INTEGER, received INTEGER NOT NULL,
  boot_id TEXT NOT NULL, mono_ns INTEGER NOT NULL, clock_synced INTEGER NOT NULL,
  source TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT NOT NULL, card_id TEXT NOT NULL,
  holder TEXT NOT NULL, category TEXT NOT NULL, grp INTEGER NOT NULL, name TEXT NOT NULL, card_key INTEGER NOT NULL,
  PRIMARY KEY (device, seq)); -- a rowid table: rows append, only the small key index scatters
CREATE INDEX IF NOT EXISTS checkins_venue_t ON checkins (venue, t);
-- card_key (8 bytes of the card id) keeps this index small: a text key
-- of 32 characters made it the most expensive part of an insert.
CREATE INDEX IF NOT EXISTS checkins_card_t ON checkins (card_key, t) WHERE card_key <> 0;
CREATE TABLE IF NOT EXISTS issuers (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key BLOB NOT NULL, private_key BLOB,
  not_before INTEGER, not_after INTEGER, venues TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cards (
  id TEXT PRIMARY KEY, issuer TEXT NOT NULL, holder TEXT NOT NULL, name TEXT NOT NULL,
  category TEXT NOT NULL, issued_at INTEGER NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS revocations (card_id TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL);
