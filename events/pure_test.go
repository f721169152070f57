package events_test

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPure enforces that package events does no I/O: none of its files imports os,
// net, syscall, NATS or Pebble, and neither does anything it depends on import net,
// NATS or Pebble. (Transitively, os is unavoidable: fmt imports it.)
func TestPure(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbidden := func(path string) bool {
		return path == "os" || path == "net" || strings.HasPrefix(path, "net/") || path == "syscall" ||
			path == "io/ioutil" || path == "os/exec" || strings.HasPrefix(path, "github.com/nats-io/") ||
			strings.HasPrefix(path, "github.com/cockroachdb/")
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if forbidden(path) {
				t.Errorf("%s imports %s: package events must stay free of I/O", name, path)
			}
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("checked only %d files; is the test running in events/?", checked)
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "net" || strings.HasPrefix(dep, "github.com/nats-io/") || strings.HasPrefix(dep, "github.com/cockroachdb/") {
			t.Errorf("package events depends on %s", dep)
		}
	}
}
