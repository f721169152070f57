// Command vectorgen writes climateledger's test vectors (testdata/vectors, docs/SPEC.md
// §9): one JSON file per case. It replaces every *.json file in the output directory
// and leaves other files (README.md, LICENSE) alone. The cases themselves are defined
// in package vectors, which the round-trip test in package events also runs.
//
// Usage (normally through `go generate ./events/...` or `make vectors`):
//
//	go run ./events/internal/vectorgen -out testdata/vectors
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/climateledger/climateledger/events/internal/vectorgen/vectors"
)

func main() {
	out := flag.String("out", "", "output directory (required)")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: vectorgen -out DIR")
		os.Exit(2)
	}
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "vectorgen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, err := vectors.Files()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	for _, p := range old {
		if _, keep := files[filepath.Base(p)]; !keep {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	for name, b := range files {
		if strings.ContainsAny(name, `/\`) {
			return fmt.Errorf("bad file name %q", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
