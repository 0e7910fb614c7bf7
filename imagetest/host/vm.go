package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// vm is one QEMU process booting the card; a power cut is killing it and
// starting a new one on the same disk.
type vm struct {
	opts    options
	cmd     *exec.Cmd
	done    chan error
	console *os.File
	scan    net.Conn
	mu      sync.Mutex
}

func (o options) start() (*vm, error) {
	log, err := os.OpenFile(o.consoleLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("console log: %w", err)
	}
	sock := o.work + "/scan.sock"
	os.Remove(sock)
	args := []string{"-M", "virt", "-cpu", "cortex-a57", "-smp", "2", "-m", "1024", "-nodefaults", "-no-user-config",
		"-display", "none", "-bios", o.bios,
		"-drive", "file=" + o.disk + ",if=none,id=d0,format=raw", "-device", "virtio-blk-pci,drive=d0",
		"-netdev", fmt.Sprintf("user,id=n0,hostfwd=tcp:127.0.0.1:%d-:7070", o.agentPort),
		"-device", "virtio-net-pci,netdev=n0,mac=52:54:00:5c:a9:01",
		"-device", "i6300esb", "-device", "virtio-gpu-pci",
		"-device", "qemu-xhci", "-chardev", "socket,id=scan,path=" + sock + ",server=on,wait=off",
		"-device", "usb-serial,chardev=scan",
		"-serial", "file:" + o.work + "/serial.tmp",
	}
	// The serial console goes to a file QEMU owns; copy it into the log.
	cmd := exec.Command(o.qemu, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start qemu: %w", err)
	}
	v := &vm{opts: o, cmd: cmd, done: make(chan error, 1), console: log}
	go func() { v.done <- cmd.Wait() }()
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			v.scan = c
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v.scan == nil {
		v.kill()
		return nil, fmt.Errorf("qemu scanner socket %s never appeared", sock)
	}
	return v, nil
}

// kill is the power cut: no shutdown, no flush.
func (v *vm) kill() {
	_ = v.cmd.Process.Kill()
	<-v.done
	v.console.Close()
	if v.scan != nil {
		v.scan.Close()
	}
	v.appendSerial()
}

func (v *vm) appendSerial() {
	b, err := os.ReadFile(v.opts.work + "/serial.tmp")
	if err == nil {
		f, err := os.OpenFile(v.opts.work+"/serial.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err == nil {
			f.Write(b)
			f.Close()
		}
	}
}

// serial is what the guest's console printed since this QEMU started.
func (v *vm) serial() string {
	b, _ := os.ReadFile(v.opts.work + "/serial.tmp")
	return strings.ReplaceAll(string(b), "\r", "")
}

// waitSerial waits for a line containing s to appear n times.
func (v *vm) waitSerial(s string, n int, timeout time.Duration) bool {
	for p := v.patience(timeout); !p.over(); time.Sleep(200 * time.Millisecond) {
		if strings.Count(v.serial(), s) >= n {
			return true
		}
		select {
		case <-v.done:
			return strings.Count(v.serial(), s) >= n
		default:
		}
	}
	return false
}

// scanText types a code into the USB serial scanner, CR-terminated.
func (v *vm) scanText(s string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, err := v.scan.Write([]byte(s + "\r"))
	return err
}

type result struct {
	Code int    `json:"code"`
	Out  string `json:"out"`
}

// sh runs a command in the guest through imagetest-agent.
func (v *vm) sh(timeout time.Duration, cmd string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("http://127.0.0.1:%d/run", v.opts.agentPort), strings.NewReader(cmd))
	if err != nil {
		return result{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	var r result
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return r, err
	}
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil {
		return r, fmt.Errorf("agent reply %q: %w", buf.String(), err)
	}
	return r, nil
}

// out runs cmd and returns its trimmed output, or "" on any failure.
func (v *vm) out(cmd string) string {
	r, err := v.sh(30*time.Second, cmd)
	if err != nil || r.Code != 0 {
		return ""
	}
	return strings.TrimSpace(r.Out)
}

// waitAgent waits until the guest's agent answers, i.e. the system is up.
func (v *vm) waitAgent(timeout time.Duration) bool {
	for p := v.patience(timeout); !p.over(); time.Sleep(time.Second) {
		if r, err := v.sh(5*time.Second, "true"); err == nil && r.Code == 0 {
			return true
		}
		select {
		case <-v.done:
			return false
		default:
		}
	}
	return false
}
