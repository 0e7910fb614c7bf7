package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/scangate/scangate/statuspage"
)

// stdin is where hash-password reads the password; tests replace it.
var stdin io.Reader = os.Stdin

func init() {
	register(command{name: "hash-password", summary: "print the bcrypt hash for [status] password_hash (reads the password from stdin)", run: runHashPassword})
}

// runHashPassword reads one line, the password, and prints its hash: the
// password itself never goes into scangate.toml.
func runHashPassword(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("hash-password", flag.ContinueOnError)
	fl.SetOutput(stderr)
	if err := fl.Parse(args); err != nil {
		return 2
	}
	fmt.Fprintln(stderr, "password (at least 8 characters), then Enter:")
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return errorf(stderr, "hash-password: no password on stdin")
	}
	h, err := statuspage.HashPassword(strings.TrimRight(line, "\r\n"))
	if err != nil {
		return errorf(stderr, "hash-password: %v", err)
	}
	fmt.Fprintf(stdout, "password_hash = %q\n", h)
	return 0
}
