// Package scanner turns raw input — camera frames and lines from serial or
// HID barcode scanners — into one debounced stream of Code values. It
// decodes QR codes with gozxing on the luminance plane and knows nothing of
// identity codes.
//
// # Pipeline
//
// Scanner.Run pulls each camera in its own goroutine and keeps only the
// newest frame for the decoder: when decoding is slower than the camera,
// older frames are released at once and counted as dropped, never queued
// (V4L2 drivers hold only a few buffers). Source errors (an unplugged
// device) are counted in Stats, logged and retried after a backoff; only
// the context ends Run. Debouncing follows commercial readers: a code in
// continuous view is one event, repeated every Config.Reread (3 s); the
// same code counts again once it was out of view for Config.RearmAbsent
// (0.5 s); a different code is always an event.
//
// # Decoding
//
//   - Frames are read in place with their stride through our own hybrid
//     binarizer (zxing's algorithm: 8×8 blocks, 5×5 block average) that
//     keeps its tables and bit matrix between frames; gozxing's allocates
//     two tables and a matrix per frame. Detection and decoding then use
//     gozxing's finder, detector and decoder directly.
//   - Retries, in order, each only when the previous pass failed: the same
//     matrix inverted (white-on-black codes; a bit flip, no new
//     binarization); small frames (≤ 400×400) at double size; and, only when
//     finder patterns were seen, the frame at half size, the matrix turned
//     90° (the finder scans rows; a turned code gives it other rows) and
//     gozxing's global-histogram binarizer.
//   - FrameDecoder adds an idle check for streams: 1200 2×2 samples are
//     compared with the frame last decoded in full; when fewer than two
//     moved by more than 20 levels, the last answer stands (at most 30
//     frames in a row). A still entrance costs microseconds a frame.
//
// Measured on the ZXing/zxing-cpp black-box photos (corpus_test.go): one
// pass plus the invert retry 254 of 316, with all retries 274. On the 200
// synthetic card frames (synth_test.go) one pass decodes 103 and all
// retries 115 (rotation +6, half size +2, global +1, invert +0); zxing-cpp
// 1.4 decodes 139, so the finder is where the remaining misses are.
//
// Tried and dropped: decoding a region of interest around the last code
// first (a wrong guess costs a pass; a right one is already cheap after the
// idle check); a 3×3-smoothed retry (+0 on both sets); gozxing's
// multi-code finder trying every finder triple (+1 corpus, +0 synthetic,
// +9% time); TRY_HARDER (no effect on QR).
//
// Hardware assumptions: 8-bit luminance frames (GREY, the Y of YUYV or of
// decoded MJPEG), any stride; one decoder goroutine per camera.
package scanner
