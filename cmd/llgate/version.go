package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// runVersion prints the module version, the commit it was built from and the
// Go version, from the build information the go command embeds.
func runVersion(stdout io.Writer) error {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(stdout, "llgate (no build information)")
		return nil
	}
	version, commit, when, dirty := bi.Main.Version, "unknown", "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			when = " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = " (modified)"
			}
		}
	}
	if version == "" {
		version = "(devel)"
	}
	fmt.Fprintf(stdout, "llgate %s commit %s%s%s %s\n", version, commit, when, dirty, bi.GoVersion)
	return nil
}
