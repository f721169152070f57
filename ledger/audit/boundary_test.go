package audit_test

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/climateledger/climateledger"

// allowedImports are the project packages the audit may import directly: the rules,
// the proofs, the stream, and the witness policy. Never the node (its gate), its HTTP
// edge, or projections.
var allowedImports = map[string]bool{
	module + "/events":         true,
	module + "/ledger/proof":   true,
	module + "/ledger/natslog": true,
	module + "/ledger/witness": true,
}

// forbidden reports whether a package, imported directly or not, is off limits.
func forbidden(pkg string) bool {
	return pkg == module+"/ledger" || pkg == module+"/ledger/httpapi" ||
		pkg == module+"/projections" || strings.HasPrefix(pkg, module+"/projections/")
}

// TestImportBoundary: the audit verifies the operator's log without its code. Its
// non-test files import only allowedImports of the project, and nothing they pull in
// transitively is the node, the HTTP edge or the projections.
func TestImportBoundary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, module) && !allowedImports[path] {
				t.Errorf("%s imports %s; the audit may import only %v of the project", name, path, keys(allowedImports))
			}
		}
	}
	if checked == 0 {
		t.Fatal("no non-test Go files found")
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps gave %d packages: %q", len(deps), deps)
	}
	for _, d := range deps {
		if forbidden(d) {
			t.Errorf("the audit depends (transitively) on %s", d)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
