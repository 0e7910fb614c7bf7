// Package kiosk wires a scangate kiosk together and runs it: sources →
// scanner → gate → store → display, plus the control socket, the uplink and
// the systemd readiness and watchdog notifications. cmd/scangated only
// parses flags and calls Run.
//
// In simulation (Options.Sim) every hardware part is replaced by the fake
// that lives beside its driver: the camera by camera.Fake (fed by `scangate
// present --image`), the serial scanner by a real pseudo-terminal pair
// (`scangate present --text`), and the LEDs, buzzer and screen by a
// terminal renderer. Everything after the sources is the production code.
//
// The technician's page and the simulator's protocol live in statuspage
// and sim; the kiosk only hands them its parts. Housekeeping (checkpoint,
// purge, store probe) runs on its own goroutine, never on the door's.
//
// Beside the door, on the kiosk's clock: the trust files in
// trust.watch_dirs (the boot partition, a USB stick) are looked at every
// 5 s and a changed one is installed through trust's verify-before-store,
// the result on the screen and in status (trustfiles.go); the idle screen
// follows the device every second, saying when every card would be
// refused (gate.Refusing, a store that takes no writes) and warning
// trust.warn_days before the trust data runs out (idle.go); the [gpio]
// button repeats the last message (button.go). Status reports times in
// device.timezone.
//
// Liveness for the watchdog is real, not a timer: the decision loop must
// have turned within the last interval, and a camera that says it is
// streaming must have delivered a frame recently. A camera that is
// unplugged is reported, not a reason to reboot.
package kiosk
