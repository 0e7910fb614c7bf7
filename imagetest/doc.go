// Package imagetest holds the two halves of `make imagetest`
// (scripts/imagetest.sh): host boots the project's SD card image under
// qemu-system-aarch64 and plays collector, update server, barcode scanner
// and power switch; agent runs inside the test image only and executes the
// commands a technician would type at the console.
package imagetest
