// Package reopen keeps a removable input device read: it opens the device,
// hands it to the driver's read loop until that fails, reports the device
// disconnected, and opens it again with exponential backoff once its path
// reappears. It queues the codes the read loop frames for ReadText and keeps
// the status that `scangate status` shows.
//
// It exists because the serial and HID scanner drivers supervise their device
// the same way and differ only in how they open it and turn its bytes into
// codes; this package is that shared part, and Plug is the shared part of
// their simulations.
//
// Assumptions and why:
//   - Closing the device unblocks a pending read (a tty or evdev node opened
//     through Go's poller, or a port whose Close interrupts Read). Close relies
//     on it to stop the reader without waiting for a byte.
//   - A device that fails straight after opening would be reopened in a busy
//     loop, so it waits for the backoff; one that worked for a second or more
//     was unplugged and is retried at once.
//   - A missing device is a normal state (a daemon started before udev made
//     the by-id link), reported as "disconnected", never an error from Start.
package reopen
