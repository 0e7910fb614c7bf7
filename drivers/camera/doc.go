// Package camera captures luminance frames from a V4L2 camera for the QR
// scanner, and provides a fake with the same behaviour for tests and the
// simulator.
//
// Assumptions: Linux ≥ 5.x with videobuf2 drivers — UVC webcams on the
// kiosk, vivid in the VM field test (input 3, HDMI loopback) — streaming
// through mmap buffers with github.com/blackjack/webcam. The device is
// best named by a /dev/v4l/by-id/... link, resolved again at every open,
// because /dev/videoN numbers move when a camera is replugged.
//
// Format: the scanner needs only luminance, so the cheapest source of it
// wins. GREY is the Y plane itself and is handed out zero-copy (the door.Frame
// aliases the mmap buffer until released). YUYV carries Y at even bytes;
// it is de-interleaved once into a reused plane (word-at-a-time, see
// BenchmarkDeinterleaveYUYV) and the buffer goes straight back to the
// driver. MJPEG needs a JPEG decode per frame; image/jpeg yields
// *image.YCbCr whose Y plane is used directly, with no RGB conversion, and
// the AVI1-style frames without Huffman tables get the standard ones.
// Size and rate come before format (see chooseFormat): a larger frame or a
// higher rate matters more than the conversion cost. Stride and the size
// actually chosen are read back with VIDIOC_G_FMT, since drivers pad rows
// and round sizes.
//
// Buffers: the library's default is 256 mmap buffers (hundreds of MB at
// 720p). Three is enough: one held by the decoder while two stay queued,
// so the driver always has a buffer to fill. NextFrame dequeues every
// done buffer and keeps only the newest, so a slow decoder sees the
// present, not a backlog; skipped frames show as gaps in Frame.Seq and in
// State.Dropped. Sequence numbers and capture times come from
// VIDIOC_QUERYBUF, because the library's GetFrame returns neither.
//
// Replug: when the device fails (ENODEV, EIO, POLLERR/POLLHUP, or its path
// is gone) NextFrame returns an error wrapping ErrDisconnected and closes
// everything; the next call waits for the path with doubling backoff and
// reopens. A frame still held at that moment keeps its buffer mapped until
// released. An open file keeps `modprobe -r vivid` from unloading the
// module: unbind the device in sysfs to simulate an unplug.
package camera
