// Package scanner turns raw input (camera frames, serial and HID scanner
// lines) into one debounced stream of Code values. It decodes QR codes on
// the luminance plane with gozxing and knows nothing of identity codes.
package scanner
