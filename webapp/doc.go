// Package webapp is the collector's web application: family members
// look after the people they care for (亲友关系管理) and print their cards,
// community offices check documents and issue cards on the spot (线下申领),
// venue staff keep the staff desk (desk.go: today's check-ins, register on
// behalf, undo, CSV and Excel export), administrators manage accounts,
// read the audit log and run the fleet (fleet.go: every device's health
// green/amber/red, check-ins per hour as SVG, search, revoke, enrolment
// tokens, issuers, venue policy).
//
// Pages are server-rendered (html/template, embedded), Chinese first with
// English (Accept-Language, or the switch on every page), large type,
// usable on a phone, without JavaScript. Every form carries the session's
// CSRF token; sessions live in Secure, HttpOnly, SameSite=Strict cookies,
// so the pages need HTTPS (directly or through a proxy) except on
// loopback test servers that use TLS too.
//
// Cards are signed by the collector (collector.Server.IssueCard), the
// same path as the admin API, and printed by package cards, the same
// layout as `scangate issue`. State lives in package registry.
package webapp
