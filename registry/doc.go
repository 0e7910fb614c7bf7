// Package registry keeps the collector web application's state: accounts
// and their roles, sessions, invitation codes, the people families and
// community offices look after (full name and photo, which live only
// here, erasable), the cards issued for them, identity-document checks
// (type and last four characters only) and an append-only audit log.
//
// Its tables live in the collector's database (SQLite or PostgreSQL) under
// the reg_ prefix, with their own schema version in reg_meta, so the
// collector's migrations and these never collide. Signing cards and the
// revocation list stay with the collector (collector.Server.IssueCard):
// the registry only remembers which card belongs to whom.
package registry
