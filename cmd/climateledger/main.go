// Command climateledger runs and uses a climateledger: the event-sourced, signed and
// hash-chained ledger of climate commitments (docs/SPEC.md, docs/OPERATIONS.md).
//
//	climateledger serve [--data DIR] [--http ADDR] [--nats URL] [--demo]
//	climateledger keygen --out FILE
//	climateledger enroll --server URL --registrar-key FILE --party ID --key FILE …
//	climateledger submit --server URL --key FILE --party ID --type TYPE --body FILE
//	climateledger submit --server URL --batch FILE.jsonl [--key FILE --party ID --type TYPE] [--state FILE] [--restart]
//	climateledger export --server URL --out DIR [--log-key KEY] [--witness VKEY]…
//	climateledger audit (DIR | --server URL | --nats URL) [--log-key KEY] [--witness VKEY]… [--witness-quorum K] [--json]
//	climateledger prove --server URL EVENT_ID [--witnessed]
//	climateledger verify-proof FILE --log-key KEY [--witness VKEY]… [--witness-quorum K]
//	climateledger rebuild --data DIR
//	climateledger restore --from EXPORT_DIR (--data DIR | --nats URL) [--log-key KEY]
//	climateledger key rotate|revoke …
//	climateledger --version
//
// Each subcommand takes --help (printed on stdout).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sort"
	"syscall"
)

// version is the release, set at build time with
// -ldflags "-X main.version=v1.2.3"; otherwise the module version from the build
// information ("(devel)" for a build from a checkout).
var version = ""

// versionLine is what --version prints: the version, the commit when known, and
// the Go toolchain.
func versionLine() string {
	v, rev := version, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
			if s.Key == "vcs.modified" && s.Value == "true" && rev != "" {
				rev += "+dirty"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	line := "climateledger " + v
	if rev != "" {
		line += " commit " + rev
	}
	return line + " " + runtime.Version()
}

// command is one subcommand: it parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand may touch: its output streams. Tests run commands with
// buffers.
type env struct {
	stdout, stderr io.Writer
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, env *env, args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

// errUsage marks an error already explained by the flag package's usage output.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout) // asked for: it is the output
		return 0
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "climateledger: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.run(ctx, e, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != errUsage { // bare errUsage was printed by the flag package; wrapped ones say what is missing
			fmt.Fprintf(stderr, "climateledger %s: %v\n", args[0], err)
		}
		var ec exitCode
		if errors.As(err, &ec) {
			return int(ec)
		}
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

// exitCode is an error that carries a specific exit status.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

func usage(w io.Writer) {
	fmt.Fprintln(w, "climateledger — a verifiable ledger of climate commitments")
	fmt.Fprintln(w, "\nUsage: climateledger COMMAND [flags]   (COMMAND --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nclimateledger --version prints the version.")
}

// newFlags returns a flag set whose usage names the command and its synopsis. The
// usage goes to stderr after a mistake and to stdout when asked for (--help).
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	out := &usageWriter{env: e, w: e.stderr}
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: climateledger %s %s\n\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// usageWriter is a flag set's output: stderr, or stdout once help was asked for.
type usageWriter struct {
	*env
	w io.Writer
}

func (u *usageWriter) Write(p []byte) (int, error) { return u.w.Write(p) }

// asksForHelp reports whether args, up to a "--", hold -h, -help or --help.
func asksForHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--h", "--help":
			return true
		}
	}
	return false
}

// parseFlags parses args; a parse error becomes errUsage (already printed).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if u, ok := fs.Output().(*usageWriter); ok && asksForHelp(args) {
		u.w = u.stdout
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// noArgs refuses arguments left after the flags.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	return nil
}

// required reports the named flags that are empty.
func required(fs *flag.FlagSet, names ...string) error {
	var missing []string
	for _, n := range names {
		if f := fs.Lookup(n); f == nil || f.Value.String() == "" {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		fs.Usage()
		return fmt.Errorf("%w: missing %v", errUsage, missing)
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return fmt.Sprint(*s) }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
