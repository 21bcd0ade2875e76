package main

import (
	"io"
	"os"
)

// colour reports whether log lines to w may be coloured: only when w is a
// terminal, NO_COLOR (https://no-color.org) is unset or empty and TERM is
// not "dumb". Colour codes in a file or a pipe are noise to whoever reads
// the log later.
func colour(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	if s, ok := w.(*cmdStderr); ok {
		w = s.Writer
	}
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}
