-- The collector's schema before versioned migrations (commit 02469ac), kept
-- to test that an old database migrates in place.
CREATE TABLE IF NOT EXISTS meta (k text PRIMARY KEY, v bigint NOT NULL);
CREATE TABLE IF NOT EXISTS venues (id text PRIMARY KEY, name text NOT NULL, policy jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS enroll_tokens (
  hash text PRIMARY KEY, venue text NOT NULL REFERENCES venues(id),
  created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, used_at timestamptz, device text);
CREATE TABLE IF NOT EXISTS devices (
  id text PRIMARY KEY, venue text NOT NULL REFERENCES venues(id), public_key bytea NOT NULL UNIQUE,
  hardware text NOT NULL, enrolled_at timestamptz NOT NULL, revoked_at timestamptz, ack_seq bigint NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS boot_anchors (
  device text NOT NULL, boot_id text NOT NULL, boot_wall timestamptz NOT NULL, PRIMARY KEY (device, boot_id));
CREATE TABLE IF NOT EXISTS checkin_seqs (device text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (device, seq));
CREATE TABLE IF NOT EXISTS checkins (
  device text NOT NULL, seq bigint NOT NULL, venue text NOT NULL,
  t timestamptz NOT NULL, at timestamptz NOT NULL, corrected_at timestamptz, received timestamptz NOT NULL,
  boot_id text NOT NULL, mono_ns bigint NOT NULL, clock_synced boolean NOT NULL,
  source text NOT NULL, decision text NOT NULL, reason text NOT NULL, card_id text NOT NULL,
  holder text NOT NULL, category text NOT NULL, grp bigint NOT NULL, name text NOT NULL
) PARTITION BY RANGE (t);
CREATE TABLE IF NOT EXISTS checkins_other PARTITION OF checkins DEFAULT;
CREATE INDEX IF NOT EXISTS checkins_venue_t ON checkins (venue, t);
CREATE INDEX IF NOT EXISTS checkins_card_t ON checkins (card_id, t) WHERE card_id <> '';
CREATE TABLE IF NOT EXISTS issuers (
  id text PRIMARY KEY, name text NOT NULL, public_key bytea NOT NULL, private_key bytea,
  not_before timestamptz, not_after timestamptz, venues text[] NOT NULL);
CREATE TABLE IF NOT EXISTS cards (
  id text PRIMARY KEY, issuer text NOT NULL, holder text NOT NULL, name text NOT NULL,
  category text NOT NULL, issued_at timestamptz NOT NULL, expires timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS revocations (card_id text PRIMARY KEY, revoked_at timestamptz NOT NULL);
