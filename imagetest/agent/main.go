// Command imagetest-agent runs inside the imagetest image (never in a
// device image) and runs shell commands for imagetest/host: POST /run
// with the command as the body answers the exit code and combined output
// as JSON. QEMU's user network forwards its port from the host only.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"time"
)

// Result is what /run answers.
type Result struct {
	Code int    `json:"code"`
	Out  string `json:"out"`
}

func main() {
	listen := flag.String("listen", ":7070", "listen `ADDR`")
	flag.Parse()
	http.HandleFunc("POST /run", run)
	slog.Info("imagetest-agent: listening", "addr", *listen)
	if err := http.ListenAndServe(*listen, nil); err != nil {
		slog.Error("imagetest-agent: serve", "err", err)
		os.Exit(1)
	}
}

func run(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/bin/sh", "-c", string(body)).CombinedOutput()
	res := Result{Out: string(out)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	case err != nil:
		res.Code, res.Out = -1, err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(res); err != nil {
		slog.Warn("imagetest-agent: reply", "err", err)
	}
}
