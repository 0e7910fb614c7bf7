// Package display turns a door.Decision into feedback at the door: LEDs, a
// buzzer, a screen and an optional voice prompt.
//
// Show never blocks the gate. Decisions go through a queue of one where the
// newest wins, and a decision arriving while a pattern plays cuts that
// pattern short. Outputs are small interfaces (Lights, Buzzer, Screen) that
// the drivers in drivers/gpio and drivers/lcd implement without importing
// this package; the daemon passes whichever are configured to New.
//
// Patterns are steps of {lights, buzzer, duration} timed from the pattern's
// start on an injectable clock, so a slow screen does not stretch a beep and
// tests assert exact timing with a fake clock and the Recorder. Screen text
// is Chinese first, then English; drivers that cannot draw CJK transliterate.
//
// Simulation mode draws everything on a terminal with NewTerminal, one line
// per event, so the output can be logged.
package display
