// Package serialscan reads codes from serial barcode/QR scanners: UART modules
// (MG65/GM60 class, wired to the board's UART) and USB scanners that present a
// serial port (USB-CDC ACM as /dev/ttyACM*, or FTDI, CH341 and CP210x bridges as
// /dev/ttyUSB*).
//
// Hardware assumptions and why:
//   - The scanner sends each code as one line of text followed by a terminator.
//     The default accepts CR, LF or CRLF (one code, not two) because modules ship
//     with different defaults; a configured suffix string replaces that rule for
//     scanners set to something else. An optional configured prefix is stripped.
//   - 9600 8N1 is the UART modules' factory setting; baud, data bits, parity and
//     stop bits are configurable. USB-CDC ignores them, bridges honour them.
//   - A scanner sends a code in one burst, so an inter-character gap (default
//     100 ms) means the code is over: the partial line is flushed as a code
//     (scanners set to no suffix) or discarded (Config.DiscardPartial).
//   - A QR text must reach the gate byte-exact, so a line that is not valid
//     UTF-8 is dropped and counted, never repaired with replacement characters.
//     NUL bytes are skipped and counted: a UART delivers a framing error or a
//     break (cable plugged in, module powering up) as NUL.
//   - Lines longer than 4 KiB are dropped and counted; framing resynchronises at
//     the next terminator. No QR code holds more than 2953 bytes.
//   - USB scanners come and go. A read error (EIO/ENXIO when the USB device
//     vanishes, end of file on a pseudo-terminal whose master closed, which
//     go.bug.st/serial reports as "Port has been closed") marks the scanner
//     disconnected; it is reopened with backoff when the configured path
//     reappears. Configure /dev/serial/by-id/... rather than /dev/ttyUSB0: the
//     by-id name survives replugging, the number does not.
//
// go.bug.st/serial opens the port raw with CLOCAL (no modem-control hangups),
// takes it exclusively (TIOCEXCL) and sets termios; all of that works on a
// pseudo-terminal too, which is why the tests can use one.
//
// The Framer is the pure, allocation-free state machine that turns bytes and
// their arrival times into codes; Scanner drives it from a real port, and Sim
// drives a Scanner from a real pseudo-terminal for simulation and tests.
package serialscan
