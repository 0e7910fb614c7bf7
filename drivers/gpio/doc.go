// Package gpio drives the door's LEDs, buzzer and button through the Linux
// GPIO character device (periph.io/x/host/v3/gpioioctl), and a passive
// buzzer's tone through sysfs PWM (/sys/class/pwm), which periph does not
// cover.
//
// Lines are named as the kernel reports them (`gpioinfo`: "GPIO17" on a
// Raspberry Pi) or given as chip and offset ("gpiochip0:17"); a leading '!'
// marks an active-low line (an LED wired to 3V3, a low-active buzzer
// module). Consumers take periph's narrow gpio.PinOut and gpio.PinIn, so
// tests use periph's gpiotest pins and the VM test uses gpio-sim.
//
// Outputs implements SetLights and SetBuzzer, the interfaces the display
// package asks for, without importing it.
package gpio
