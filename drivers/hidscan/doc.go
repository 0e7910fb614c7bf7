// Package hidscan reads codes from USB-HID keyboard-wedge scanners through the
// Linux evdev interface (/dev/input/event*), using golang.org/x/sys/unix.
//
// Hardware assumptions and why:
//   - The scanner enumerates as a USB keyboard and "types" each code, set to
//     the US keyboard layout with an Enter suffix (the factory setting of most
//     wedge scanners). Key codes are decoded with a US keymap: left and right
//     Shift, Caps Lock (letters only, as on a PC), keypad digits and symbols
//     regardless of Num Lock (scanners that use the keypad mean the digits).
//   - Enter or keypad Enter ends a code. Some scanners are set to send no
//     suffix, so a gap of Timeout (default 150 ms) after the last key also ends
//     one; scanners type a whole code in a burst far faster than that.
//   - The device is grabbed exclusively (EVIOCGRAB) so scanned text never
//     reaches a console login or another program. A device that cannot be
//     grabbed is an error, unless Config.NoGrab says so (tests, pipes).
//   - A key the keymap cannot translate, or one typed with Ctrl, Alt or Meta
//     held, is counted and its whole code dropped: a QR text must reach the
//     gate byte-exact, and a code missing a character is not that code.
//     Key repeats (value 2) are ignored; a scanner never holds a key.
//   - Choose the device by path (/dev/input/by-id/usb-...-event-kbd survives
//     replugging, /dev/input/eventN does not) or by name (EVIOCGNAME, substring
//     match, first keyboard-capable node). On ENODEV the device is reopened
//     with backoff when it reappears.
//   - struct input_event is 24 bytes on 64-bit kernels (timeval 16 + type,
//     code, value) and 16 on 32-bit ARM (timeval 8). Layout describes both;
//     NativeLayout is the one this binary's kernel writes. Event timestamps
//     are requested on CLOCK_MONOTONIC (EVIOCSCLOCKID) so the clock being set
//     at boot (no RTC on a Pi) cannot fake or hide a gap between keys.
//
// Decoder is the pure state machine over events; Scanner drives it from a
// device; Sim types text into a Scanner through a FIFO as evdev records.
package hidscan
