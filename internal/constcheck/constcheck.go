// Package constcheck reads a package's source for the constants of one
// named type, so a test can prove that a hand-written list of them (and
// every mapping built on that list) is complete.
package constcheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Listed reports the constants of typeName in dir that listed lacks, and
// the entries of listed that are no such constant; both empty when the
// hand-written list is exact.
func Listed(dir, typeName string, listed []string) (missing, extra []string, err error) {
	declared, err := Values(dir, typeName)
	if err != nil {
		return nil, nil, err
	}
	have := map[string]bool{}
	for _, v := range listed {
		have[v] = true
	}
	is := map[string]bool{}
	for _, v := range declared {
		is[v] = true
		if !have[v] {
			missing = append(missing, v)
		}
	}
	for _, v := range listed {
		if !is[v] {
			extra = append(extra, v)
		}
	}
	return missing, extra, nil
}

// Values returns the string values of the constants of type typeName
// declared in the non-test Go files of dir.
func Values(dir, typeName string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, fmt.Errorf("constcheck: %w", err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("constcheck: %w", err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			return nil, fmt.Errorf("constcheck: %w", err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok || id.Name != typeName {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						return nil, fmt.Errorf("constcheck: %s: a %s constant that is not a string literal", f, typeName)
					}
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						return nil, fmt.Errorf("constcheck: %w", err)
					}
					out = append(out, s)
				}
			}
		}
	}
	return out, nil
}
