// Package camsim renders synthetic camera frames: a printed card or a bare
// QR code photographed by a 640×480 8-bit gray webcam, with scale, tilt
// (true perspective), blur, sensor noise, glare, a JPEG round trip and
// inversion. Every frame is a pure function of its parameters and seed, so
// decode benchmarks and corpora are regenerated rather than stored.
//
// The camera model is a pinhole with a focal length of 600 px (about 56°
// horizontal field of view, a typical USB webcam) looking at a card-sized
// plane; the scene behind it is a blurred random arrangement of gray
// shapes, the way a kiosk sees a hand, a sleeve and the room.
package camsim
