// Package deptest turns the package rules of scangate into test failures:
// a Rule names packages and what they must never reach, transitively, and
// Check asks the go command for the real import graph (the way tailscale's
// tstest/deptest does), so a forbidden import anywhere below a package
// fails the test that owns the rule.
package deptest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Module is the module path the rules speak of.
const Module = "github.com/scangate/scangate"

// Rule forbids Packages from reaching any of Forbidden.
type Rule struct {
	Why      string
	Packages []string // package patterns relative to the module ("gate", "drivers/...")
	// Forbidden are import paths; one ending in "/" forbids everything
	// under it, a bare "scangate/x" is relative to the module.
	Forbidden []string
	// StdOnly forbids everything outside the standard library and the
	// packages themselves.
	StdOnly bool
	// Tests also checks the packages' test binaries (test and external
	// test imports, and what they reach).
	Tests bool
}

// Violation is one package reaching one forbidden import.
type Violation struct {
	Rule    string
	Package string // may carry go's test variant suffix, "x [x.test]"
	Dep     string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s reaches %s: %s", v.Package, v.Dep, v.Rule)
}

// Options are the go list settings Check uses.
type Options struct {
	Dir     string   // module root
	GOOS    string   // default linux
	GOARCH  string   // default arm64: the kiosk's
	Tags    string   // build tags
	Overlay string   // go list -overlay file (tests add a forbidden import without touching the tree)
	Env     []string // extra environment
}

// Check lists the import graph of every rule's packages and returns what
// breaks the rules.
func Check(o Options, rules []Rule) ([]Violation, error) {
	var out []Violation
	for _, r := range rules {
		graph, err := list(o, r)
		if err != nil {
			return nil, err
		}
		out = append(out, violations(r, graph)...)
	}
	return out, nil
}

// list returns package → transitive deps for the rule's packages.
func list(o Options, r Rule) (map[string][]string, error) {
	args := []string{"list", "-e", "-f", "{{.ImportPath}}\t{{join .Deps \" \"}}\t{{if .Error}}{{.Error}}{{end}}"}
	if r.Tests {
		args = append(args, "-test")
	}
	if o.Tags != "" {
		args = append(args, "-tags", o.Tags)
	}
	if o.Overlay != "" {
		args = append(args, "-overlay", o.Overlay)
	}
	for _, p := range r.Packages {
		args = append(args, "./"+p)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = o.Dir
	goos, goarch := o.GOOS, o.GOARCH
	if goos == "" {
		goos = "linux"
	}
	if goarch == "" {
		goarch = "arm64"
	}
	cmd.Env = append(append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=1"), o.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("deptest: go %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	graph := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		pkg, rest, _ := strings.Cut(sc.Text(), "\t")
		deps, perr, _ := strings.Cut(rest, "\t")
		if perr != "" {
			return nil, fmt.Errorf("deptest: %s: %s", pkg, perr)
		}
		if strings.HasSuffix(pkg, ".test") && !strings.Contains(pkg, " ") {
			continue // the generated test main
		}
		graph[pkg] = strings.Fields(deps)
	}
	return graph, sc.Err()
}

func violations(r Rule, graph map[string][]string) []Violation {
	var out []Violation
	for pkg, deps := range graph {
		self, _, _ := strings.Cut(pkg, " ")
		self = strings.TrimSuffix(self, "_test")
		for _, d := range deps {
			if d == self || strings.HasPrefix(d, self+"/") && r.StdOnly {
				continue
			}
			if forbidden(r, d) {
				out = append(out, Violation{Rule: r.Why, Package: pkg, Dep: d})
			}
		}
	}
	return out
}

func forbidden(r Rule, dep string) bool {
	if r.StdOnly {
		first, _, _ := strings.Cut(dep, "/")
		if strings.Contains(first, ".") {
			return true
		}
	}
	for _, f := range r.Forbidden {
		if strings.HasPrefix(f, "scangate/") {
			f = Module + strings.TrimPrefix(f, "scangate")
		}
		if strings.HasSuffix(f, "/") {
			if strings.HasPrefix(dep, f) || dep == strings.TrimSuffix(f, "/") {
				return true
			}
		} else if dep == f {
			return true
		}
	}
	return false
}
