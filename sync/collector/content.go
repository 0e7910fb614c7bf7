package collector

import (
	"crypto/sha256"
	"strconv"

	"github.com/scangate/scangate/sync/wire"
)

// ContentEqual reports whether two records with the same (device, ledger,
// seq) are the same check-in: a replay, not a conflict. It compares what
// the device recorded at the door; CorrectedAt is left out (a device may
// correct a record's time after sending it, and the collector corrects
// unsynced records itself), and times are compared to the microsecond,
// what PostgreSQL keeps.
func ContentEqual(a, b *wire.Record) bool {
	return a.At.UnixMicro() == b.At.UnixMicro() && a.BootID == b.BootID && a.MonoNS == b.MonoNS &&
		a.ClockSynced == b.ClockSynced && a.Source == b.Source && a.Decision == b.Decision && a.Reason == b.Reason &&
		a.CardID == b.CardID && a.Holder == b.Holder && a.Category == b.Category && a.Group == b.Group && a.Name == b.Name
}

// contentDigest is SHA-256 of the fields ContentEqual compares, each text
// field length-prefixed so no two records share an encoding. PostgreSQL
// keeps it beside the seq (checkin_seqs.digest) and computes the same
// bytes in SQL when it migrates older rows (pgDigestSQL); a test holds the
// two together.
func contentDigest(r *wire.Record) []byte {
	b := make([]byte, 0, 256)
	b = strconv.AppendInt(b, r.At.UnixMicro(), 10)
	b = appendField(b, r.BootID)
	b = append(b, '|')
	b = strconv.AppendInt(b, r.MonoNS, 10)
	if r.ClockSynced {
		b = append(b, "|1"...)
	} else {
		b = append(b, "|0"...)
	}
	for _, s := range []string{r.Source, r.Decision, r.Reason, r.CardID, r.Holder, r.Category} {
		b = appendField(b, s)
	}
	b = append(b, '|')
	b = strconv.AppendInt(b, r.Group, 10)
	b = appendField(b, r.Name)
	sum := sha256.Sum256(b)
	return sum[:]
}

// appendField appends "|len:s".
func appendField(b []byte, s string) []byte {
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// pgDigestSQL computes contentDigest over a row of checkins (alias c) in
// PostgreSQL, for rows stored before digests were kept.
const pgDigestSQL = `sha256(convert_to(
	((extract(epoch FROM c.at) * 1000000)::bigint)::text
	|| '|' || octet_length(c.boot_id) || ':' || c.boot_id
	|| '|' || c.mono_ns::text
	|| '|' || CASE WHEN c.clock_synced THEN '1' ELSE '0' END
	|| '|' || octet_length(c.source) || ':' || c.source
	|| '|' || octet_length(c.decision) || ':' || c.decision
	|| '|' || octet_length(c.reason) || ':' || c.reason
	|| '|' || octet_length(c.card_id) || ':' || c.card_id
	|| '|' || octet_length(c.holder) || ':' || c.holder
	|| '|' || octet_length(c.category) || ':' || c.category
	|| '|' || c.grp::text
	|| '|' || octet_length(c.name) || ':' || c.name, 'UTF8'))`

// NonceKey is the replay key of a signed request: its nonce, scoped to
// the device (or to enrollment, which has no device yet).
func NonceKey(device, nonce string) string {
	if device == "" {
		return "enroll/" + nonce
	}
	return device + "/" + nonce
}
