package main

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// runCheck validates flow files (all the load checks, against the built-in catalogs) and
// prints a line per flow. It exits non-zero on any error, naming file and line.
func runCheck(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("check", flag.ContinueOnError)
	fset.SetOutput(stderr)
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	var dirFS fs.FS
	if dir := fset.Arg(0); dir != "" {
		dirFS = os.DirFS(dir)
	}
	cat, lib, err := content(dirFS, ".")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitCode(1)
	}
	for _, f := range lib.Flows() {
		fmt.Fprintf(stdout, "%-12s v%-3d %3d steps  %s\n", f.ID, f.Version, len(f.Steps), f.File)
	}
	if !reportCatalogs(cat, stdout, stderr) {
		return exitCode(1)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
