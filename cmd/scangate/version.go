package main

import (
	"fmt"
	"io"

	"github.com/scangate/scangate/version"
)

func init() {
	register(command{name: "version", summary: "print the version", run: func(_ []string, stdout, _ io.Writer) int {
		fmt.Fprintln(stdout, version.String())
		return 0
	}})
}
