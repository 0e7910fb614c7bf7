package hidscan

import (
	"encoding/binary"
	"time"
	"unsafe"
)

// Event types and codes from linux/input-event-codes.h.
const (
	EvSyn = 0x00
	EvKey = 0x01
	EvMsc = 0x04
	EvLed = 0x11

	SynReport  = 0
	SynDropped = 3

	MscScan = 4
)

// Event is one struct input_event.
type Event struct {
	Time  time.Time
	Type  uint16
	Code  uint16
	Value int32 // EV_KEY: 0 release, 1 press, 2 autorepeat
}

// Layout is the size in bytes of one struct input_event record.
type Layout int

// The two record layouts: a timeval of two longs, then type, code, value.
const (
	Layout64 Layout = 24 // amd64, arm64
	Layout32 Layout = 16 // 32-bit ARM and x86
)

// NativeLayout is the layout of the running kernel's records (long is
// pointer-sized on Linux).
const NativeLayout = Layout(2*unsafe.Sizeof(uintptr(0)) + 8)

// Size is the record size in bytes.
func (l Layout) Size() int { return int(l) }

// Parse decodes one record from the start of b, which holds at least l.Size()
// bytes. All supported targets are little-endian; NativeEndian keeps it exact.
func (l Layout) Parse(b []byte) Event {
	var sec, usec int64
	off := 0
	if l == Layout32 {
		sec = int64(binary.NativeEndian.Uint32(b[0:]))
		usec = int64(binary.NativeEndian.Uint32(b[4:]))
		off = 8
	} else {
		sec = int64(binary.NativeEndian.Uint64(b[0:]))
		usec = int64(binary.NativeEndian.Uint64(b[8:]))
		off = 16
	}
	return Event{
		Time:  time.Unix(sec, 0).Add(time.Duration(usec) * time.Microsecond),
		Type:  binary.NativeEndian.Uint16(b[off:]),
		Code:  binary.NativeEndian.Uint16(b[off+2:]),
		Value: int32(binary.NativeEndian.Uint32(b[off+4:])),
	}
}

// Append encodes ev as one record (microsecond resolution) onto dst.
func (l Layout) Append(dst []byte, ev Event) []byte {
	sec := ev.Time.Unix()
	usec := int64(ev.Time.Nanosecond() / 1000)
	if l == Layout32 {
		dst = binary.NativeEndian.AppendUint32(dst, uint32(sec))
		dst = binary.NativeEndian.AppendUint32(dst, uint32(usec))
	} else {
		dst = binary.NativeEndian.AppendUint64(dst, uint64(sec))
		dst = binary.NativeEndian.AppendUint64(dst, uint64(usec))
	}
	dst = binary.NativeEndian.AppendUint16(dst, ev.Type)
	dst = binary.NativeEndian.AppendUint16(dst, ev.Code)
	return binary.NativeEndian.AppendUint32(dst, uint32(ev.Value))
}
