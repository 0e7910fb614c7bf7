package wire

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"
)

// readCapped reads all of r, refusing more than limit bytes.
func readCapped(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "%s larger than %d bytes", what, mbe.Limit)
		}
		return nil, Errorf(http.StatusBadRequest, CodeBadRequest, "read %s: %v", what, err)
	}
	if int64(len(b)) > limit {
		return nil, Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "%s larger than %d bytes", what, limit)
	}
	return b, nil
}

// Gunzip decompresses b, refusing output over limit bytes: a small gzip
// bomb is stopped after limit+1 bytes of output.
func Gunzip(b []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, CodeBadRequest, "gzip: %v", err)
	}
	zr.Multistream(false)
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, CodeBadRequest, "gzip: %v", err)
	}
	if int64(len(out)) > limit {
		return nil, Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "decompressed body larger than %d bytes", limit)
	}
	return out, nil
}

// decodeStrict unmarshals exactly one JSON value from b into v, refusing
// unknown fields and trailing data.
func decodeStrict(b []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(http.StatusBadRequest, CodeBadRequest, "%s: %v", what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(http.StatusBadRequest, CodeBadRequest, "%s: trailing data after JSON value", what)
	}
	return nil
}

func checkText(field, s string, limit int, required bool) error {
	switch {
	case required && s == "":
		return fmt.Errorf("%s missing", field)
	case len(s) > limit:
		return fmt.Errorf("%s longer than %d bytes", field, limit)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s not UTF-8", field)
	}
	return nil
}

func badRequest(what string, err error) *Error {
	return Errorf(http.StatusBadRequest, CodeBadRequest, "%s: %v", what, err)
}

// ReadBody reads a whole request or response body of at most limit bytes;
// a longer body is refused with a 413 *Error.
func ReadBody(body io.Reader, limit int64, what string) ([]byte, error) {
	return readCapped(body, limit, what)
}

// ReadBatch reads a POST /v1/checkins body: gzip when contentEncoding is
// "gzip", plain JSON when it is empty. It enforces the compressed and the
// decompressed caps, strict decoding and Check.
func ReadBatch(body io.Reader, contentEncoding string) (CheckinBatch, error) {
	raw, err := readCapped(body, MaxCompressedBatchBytes, "batch body")
	if err != nil {
		return CheckinBatch{}, err
	}
	return DecodeBatchBody(raw, contentEncoding)
}

// DecodeBatchBody is ReadBatch for a body already read (the collector reads
// it first to check the request signature over the exact bytes).
func DecodeBatchBody(raw []byte, contentEncoding string) (CheckinBatch, error) {
	switch contentEncoding {
	case "gzip":
		if len(raw) > MaxCompressedBatchBytes {
			return CheckinBatch{}, Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "batch body larger than %d bytes", MaxCompressedBatchBytes)
		}
		plain, err := Gunzip(raw, MaxBatchBytes)
		if err != nil {
			return CheckinBatch{}, err
		}
		return DecodeBatch(plain)
	case "", "identity":
		return DecodeBatch(raw)
	}
	return CheckinBatch{}, Errorf(http.StatusUnsupportedMediaType, CodeBadRequest, "content encoding %q, want gzip", contentEncoding)
}

// DecodeBatch decodes and checks an uncompressed batch.
func DecodeBatch(plain []byte) (CheckinBatch, error) {
	var b CheckinBatch
	if len(plain) > MaxBatchBytes {
		return CheckinBatch{}, Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "batch larger than %d bytes", MaxBatchBytes)
	}
	if err := decodeStrict(plain, &b, "batch"); err != nil {
		return CheckinBatch{}, err
	}
	if err := b.Check(); err != nil {
		return CheckinBatch{}, err
	}
	return b, nil
}

// Check reports the first structural problem with b as an *Error.
func (b *CheckinBatch) Check() error {
	if b.Version != Version {
		return Errorf(http.StatusBadRequest, CodeVersion, "batch version %d, want %d", b.Version, Version)
	}
	if err := checkText("device", b.Device, MaxIDLen, true); err != nil {
		return badRequest("batch", err)
	}
	if err := checkText("boot_id", b.BootID, MaxIDLen, false); err != nil {
		return badRequest("batch", err)
	}
	if err := checkText("ledger", b.Ledger, MaxIDLen, false); err != nil {
		return badRequest("batch", err)
	}
	if b.Floor > maxSeq {
		return Errorf(http.StatusBadRequest, CodeBadRequest, "batch: floor %d out of range", b.Floor)
	}
	if len(b.Recoveries) > MaxRecoveries {
		return Errorf(http.StatusBadRequest, CodeBadRequest, "batch: %d recoveries, limit %d", len(b.Recoveries), MaxRecoveries)
	}
	for i, r := range b.Recoveries {
		if err := r.Check(); err != nil {
			return badRequest(fmt.Sprintf("batch: recovery %d", i), err)
		}
	}
	if len(b.Purged) > MaxPurgedRanges {
		return Errorf(http.StatusBadRequest, CodeBadRequest, "batch: %d purged ranges, limit %d", len(b.Purged), MaxPurgedRanges)
	}
	for i, r := range b.Purged {
		switch {
		case r.Lo == 0 || r.Lo > r.Hi:
			return Errorf(http.StatusBadRequest, CodeBadRequest, "batch: purged range %d: %d..%d is empty or starts at 0", i, r.Lo, r.Hi)
		case r.Hi > b.Floor:
			return Errorf(http.StatusBadRequest, CodeBadRequest, "batch: purged range %d: %d..%d above the floor %d", i, r.Lo, r.Hi, b.Floor)
		case i > 0 && r.Lo <= b.Purged[i-1].Hi:
			return Errorf(http.StatusBadRequest, CodeBadRequest, "batch: purged range %d: %d..%d overlaps or precedes the one before", i, r.Lo, r.Hi)
		}
	}
	if b.Health != nil {
		if err := b.Health.Check(); err != nil {
			return badRequest("batch: health", err)
		}
	}
	if len(b.Records) == 0 {
		return Errorf(http.StatusBadRequest, CodeBadRequest, "batch: no records")
	}
	if len(b.Records) > MaxBatchRecords {
		return Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "batch: %d records, limit %d", len(b.Records), MaxBatchRecords)
	}
	for i := range b.Records {
		if err := b.Records[i].Check(); err != nil {
			return badRequest(fmt.Sprintf("batch: record %d", i), err)
		}
		if b.Records[i].Seq <= b.Floor {
			return Errorf(http.StatusBadRequest, CodeBadRequest, "batch: record %d: seq %d at or below the floor %d", i, b.Records[i].Seq, b.Floor)
		}
	}
	return nil
}

// Check reports the first problem with r.
func (r *Recovery) Check() error {
	switch {
	case r.At.Year() < 1970 || r.At.Year() > 9999:
		return fmt.Errorf("at %v out of range", r.At)
	case r.Salvaged < 0 || r.Lost < -1:
		return fmt.Errorf("salvaged %d, lost %d out of range", r.Salvaged, r.Lost)
	}
	return checkText("ledger", r.Ledger, MaxIDLen, false)
}

// maxSeq keeps seq within PostgreSQL's bigint.
const maxSeq = 1<<63 - 1

// Check reports the first problem with r.
func (r *Record) Check() error {
	switch {
	case r.Seq == 0 || r.Seq > maxSeq:
		return fmt.Errorf("seq %d out of range", r.Seq)
	case r.At.IsZero():
		return fmt.Errorf("at missing")
	case r.At.Year() < 1970 || r.At.Year() > 9999:
		return fmt.Errorf("at %v out of range", r.At)
	case r.CorrectedAt != nil && (r.CorrectedAt.Year() < 1970 || r.CorrectedAt.Year() > 9999):
		return fmt.Errorf("corrected_at out of range")
	case r.MonoNS < 0:
		return fmt.Errorf("mono_ns negative")
	}
	switch r.Decision {
	case DecisionPass, DecisionAlreadyIn, DecisionFail, DecisionFault, DecisionNotEntered, DecisionUndo,
		DecisionExit, DecisionFull:
	default:
		return fmt.Errorf("decision %q unknown", r.Decision)
	}
	for _, f := range []struct {
		name, v  string
		limit    int
		required bool
	}{
		{"boot_id", r.BootID, MaxIDLen, false},
		{"source", r.Source, MaxIDLen, false},
		{"reason", r.Reason, MaxIDLen, true},
		{"card_id", r.CardID, MaxIDLen, false},
		{"holder", r.Holder, MaxIDLen, false},
		{"category", r.Category, MaxIDLen, false},
		{"name", r.Name, MaxTextLen, false},
	} {
		if err := checkText(f.name, f.v, f.limit, f.required); err != nil {
			return err
		}
	}
	return nil
}

// EncodeBatch returns the gzip-compressed JSON of b, refusing a batch that
// the collector would refuse for its size.
func EncodeBatch(b CheckinBatch) ([]byte, error) {
	if len(b.Records) > MaxBatchRecords {
		return nil, fmt.Errorf("wire: batch has %d records, limit %d", len(b.Records), MaxBatchRecords)
	}
	plain, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("wire: encode batch: %w", err)
	}
	if len(plain) > MaxBatchBytes {
		return nil, fmt.Errorf("wire: batch is %d bytes, limit %d", len(plain), MaxBatchBytes)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(plain); err != nil {
		return nil, fmt.Errorf("wire: gzip batch: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("wire: gzip batch: %w", err)
	}
	return buf.Bytes(), nil
}

// ReadJSON reads one strict JSON value of at most limit bytes from body
// into v. It is used for the small bodies: enrollment, admin requests,
// acks and errors.
func ReadJSON(body io.Reader, limit int64, v any, what string) error {
	b, err := readCapped(body, limit, what)
	if err != nil {
		return err
	}
	return decodeStrict(b, v, what)
}

// DecodeEnroll decodes and checks an enrollment body.
func DecodeEnroll(b []byte) (Enroll, error) {
	var e Enroll
	if len(b) > MaxSmallBody {
		return Enroll{}, Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "enroll larger than %d bytes", MaxSmallBody)
	}
	if err := decodeStrict(b, &e, "enroll"); err != nil {
		return Enroll{}, err
	}
	if e.Version != Version {
		return Enroll{}, Errorf(http.StatusBadRequest, CodeVersion, "enroll version %d, want %d", e.Version, Version)
	}
	if err := checkText("token", e.Token, MaxIDLen, true); err != nil {
		return Enroll{}, badRequest("enroll", err)
	}
	if len(e.PublicKey) != 32 {
		return Enroll{}, Errorf(http.StatusBadRequest, CodeBadRequest, "enroll: public key is %d bytes, want 32", len(e.PublicKey))
	}
	if err := checkText("hardware", e.Hardware, MaxTextLen, false); err != nil {
		return Enroll{}, badRequest("enroll", err)
	}
	return e, nil
}

// DecodeEnrollResp decodes the answer to an enrollment, as the device
// reads it.
func DecodeEnrollResp(b []byte) (EnrollResp, error) {
	var e EnrollResp
	if len(b) > MaxSmallBody {
		return EnrollResp{}, Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "enroll answer larger than %d bytes", MaxSmallBody)
	}
	if err := decodeStrict(b, &e, "enroll answer"); err != nil {
		return EnrollResp{}, err
	}
	if err := checkText("device_id", e.DeviceID, MaxIDLen, true); err != nil {
		return EnrollResp{}, badRequest("enroll answer", err)
	}
	if err := checkText("venue", e.Venue, MaxIDLen, true); err != nil {
		return EnrollResp{}, badRequest("enroll answer", err)
	}
	if err := checkText("venue_name", e.VenueName, MaxTextLen, false); err != nil {
		return EnrollResp{}, badRequest("enroll answer", err)
	}
	if len(e.CollectorKey) != 32 {
		return EnrollResp{}, Errorf(http.StatusBadRequest, CodeBadRequest, "enroll answer: collector key is %d bytes, want 32", len(e.CollectorKey))
	}
	return e, nil
}

// DecodeAck decodes a BatchAck, as the device reads it.
func DecodeAck(b []byte) (BatchAck, error) {
	var a BatchAck
	if len(b) > MaxSmallBody {
		return BatchAck{}, Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "ack larger than %d bytes", MaxSmallBody)
	}
	if err := decodeStrict(b, &a, "ack"); err != nil {
		return BatchAck{}, err
	}
	if a.Device == "" || a.AckSeq > maxSeq || a.Conflicts > MaxBatchRecords {
		return BatchAck{}, Errorf(http.StatusBadRequest, CodeBadRequest, "ack: device missing, or ack_seq or conflicts out of range")
	}
	if err := checkText("ledger", a.Ledger, MaxIDLen, false); err != nil {
		return BatchAck{}, Errorf(http.StatusBadRequest, CodeBadRequest, "ack: %v", err)
	}
	return a, nil
}

// DecodeError decodes an error body. Status is left for the caller to set.
func DecodeError(b []byte) (*Error, error) {
	var e Error
	if len(b) > MaxSmallBody {
		return nil, Errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "error body larger than %d bytes", MaxSmallBody)
	}
	if err := decodeStrict(b, &e, "error"); err != nil {
		return nil, err
	}
	return &e, nil
}

// ParseServerTime reads ServerTimeHeader (RFC 3339 with nanoseconds).
func ParseServerTime(h http.Header) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, h.Get(ServerTimeHeader))
	return t, err == nil
}
