// Command scangate is the CLI for people around a scangate kiosk:
// administrators issue cards and run the collector, technicians decode and
// diagnose, and the simulator is driven from here.
//
// Each subcommand lives in its own file and registers itself with
// register, so the subcommands stay independent of each other. Built with
// the kiosk tag (the kiosk image's own CLI) it has only what a kiosk
// needs: status, present, selftest, decode, verify, cameras, version; issuing,
// keygen and the collector (with its PostgreSQL client and PDF printer)
// stay in the administrators' build.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand. run returns the process exit status:
// 0 success, 1 a refused or failed outcome, 2 a usage or file error.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("scangate: duplicate subcommand " + c.name)
	}
	commands[c.name] = c
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "scangate: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: scangate COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'scangate COMMAND -h' for the flags of one command.")
}

// errorf prints a message a person can act on and returns status 2.
func errorf(stderr io.Writer, format string, a ...any) int {
	msg := fmt.Sprintf(format, a...)
	fmt.Fprintln(stderr, "scangate: "+strings.TrimRight(msg, "\n"))
	return 2
}

// parseFlagsAnywhere parses flags wherever they appear among the positional
// arguments (flag.Parse stops at the first positional one).
func parseFlagsAnywhere(fl *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fl.Parse(args); err != nil {
			return nil, err
		}
		args = fl.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
