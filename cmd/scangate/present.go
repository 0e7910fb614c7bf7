package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/scangate/scangate/control"
)

func init() {
	register(command{name: "present", summary: "simulation: show a card image or type a code, print the decision", run: runPresent})
}

func runPresent(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("present", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sock := dataFlag(fs)
	imagePath := fs.String("image", "", "PNG, JPEG or PGM shown to the simulated camera")
	text := fs.String("text", "", "code typed into the simulated serial scanner")
	hold := fs.Duration("hold", time.Second, "how long the image stays in view")
	wait := fs.Duration("wait", 5*time.Second, "how long to wait for the decision")
	asJSON := fs.Bool("json", false, `print {"decision":...,"reason":...,"latency_ms":...}`)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if (*imagePath == "") == (*text == "") {
		return errorf(stderr, "present: give exactly one of --image FILE or --text CODE")
	}
	req := control.PresentRequest{Text: *text, Hold: *hold, Wait: *wait}
	if *imagePath != "" {
		b, err := os.ReadFile(*imagePath)
		if err != nil {
			return errorf(stderr, "present: %v", err)
		}
		req.Image = b
	}
	ctx, cancel := context.WithTimeout(context.Background(), *wait+5*time.Second)
	defer cancel()
	res, err := control.NewClient(sock()).Present(ctx, req)
	if err != nil {
		return errorf(stderr, "present: %v", err)
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(res)
	} else {
		fmt.Fprintf(stdout, "%s (%s) %s %.1f ms\n", res.Decision, res.Reason, res.Name, res.LatencyMS)
	}
	// 0 when the door let the person through: in, again, or out (an exit
	// is recorded even with a flag); 1 for a refusal (fail, fault, full).
	switch res.Decision {
	case "pass", "already", "exit":
		return 0
	}
	return 1
}
