package main

// The image ships no zoneinfo: device.timezone is loaded from the zone
// data embedded in the binary (about 450 kB).
import _ "time/tzdata"
