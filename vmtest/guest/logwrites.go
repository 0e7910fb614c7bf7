package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// The dm-log-writes log, as drivers/md/dm-log-writes.c writes it: a super
// block at byte 0, then from one device sector on, nr_entries entries. Each
// entry is a header in one sector (sector and nr_sectors in device
// sectors, flags, data_len; a mark's text follows the header in the same
// sector) and then nr_sectors of the data written (none for discards).
// Writes are logged in completion order, and only once a flush completed
// after them, so replaying a prefix that ends at a FLUSH or FUA entry gives
// what the disk held at that moment.

const (
	logMagic   = 0x6a736677736872
	logVersion = 1

	logFlush    = 1 << 0
	logFUA      = 1 << 1
	logDiscard  = 1 << 2
	logMark     = 1 << 3
	logMetadata = 1 << 4
)

type logEntry struct {
	index      int
	sector     int64 // device sectors
	nrSectors  int64
	flags      uint64
	mark       string // for logMark
	dataOffset int64  // byte offset of the data in the log
}

func (e logEntry) String() string {
	var f []string
	for _, n := range []struct {
		bit  uint64
		name string
	}{{logFlush, "FLUSH"}, {logFUA, "FUA"}, {logDiscard, "DISCARD"}, {logMark, "MARK"}, {logMetadata, "META"}} {
		if e.flags&n.bit != 0 {
			f = append(f, n.name)
		}
	}
	if e.flags&logMark != 0 {
		return fmt.Sprintf("#%d mark %q", e.index, e.mark)
	}
	if len(f) == 0 {
		f = []string{"WRITE"}
	}
	return fmt.Sprintf("#%d %s sector %d +%d", e.index, strings.Join(f, "|"), e.sector, e.nrSectors)
}

// crashPoint reports whether the disk is in a state of its own after e.
func (e logEntry) crashPoint() bool { return e.flags&(logFlush|logFUA) != 0 }

// writeLog reads a log device.
type writeLog struct {
	r          io.ReaderAt
	sectorSize int64
	entries    int
}

func openWriteLog(r io.ReaderAt) (*writeLog, error) {
	var sb [28]byte
	if _, err := r.ReadAt(sb[:], 0); err != nil {
		return nil, fmt.Errorf("log-writes: super block: %w", err)
	}
	le := binary.LittleEndian
	if m := le.Uint64(sb[0:]); m != logMagic {
		return nil, fmt.Errorf("log-writes: bad magic %#x", m)
	}
	if v := le.Uint64(sb[8:]); v != logVersion {
		return nil, fmt.Errorf("log-writes: version %d, want %d", v, logVersion)
	}
	l := &writeLog{r: r, entries: int(le.Uint64(sb[16:])), sectorSize: int64(le.Uint32(sb[24:]))}
	if l.sectorSize < 512 || l.sectorSize&(l.sectorSize-1) != 0 {
		return nil, fmt.Errorf("log-writes: sector size %d", l.sectorSize)
	}
	return l, nil
}

// each calls f for every entry in log order.
func (l *writeLog) each(f func(logEntry) error) error {
	off := l.sectorSize
	hdr := make([]byte, l.sectorSize)
	le := binary.LittleEndian
	for i := range l.entries {
		if _, err := l.r.ReadAt(hdr, off); err != nil {
			return fmt.Errorf("log-writes: entry %d at byte %d: %w", i, off, err)
		}
		e := logEntry{index: i, sector: int64(le.Uint64(hdr[0:])), nrSectors: int64(le.Uint64(hdr[8:])), flags: le.Uint64(hdr[16:])}
		off += l.sectorSize
		if e.flags&logMark != 0 {
			n := min(int64(le.Uint64(hdr[24:])), l.sectorSize-32)
			e.mark = string(hdr[32 : 32+n])
		} else if e.flags&logDiscard == 0 {
			e.dataOffset = off
			off += e.nrSectors * l.sectorSize
		}
		if err := f(e); err != nil {
			return err
		}
	}
	return nil
}
