// Package realpages scores the site files in pipelines/realpages against
// real saved market and forum pages (../shared/realpages, not in this
// repository) and their hand-checked .truth.yaml files: every page is
// extracted with its site file, its records normalized into events, and
// every value the truth file states compared with the event's value. The
// test and its helpers are in the _test.go files; `go test
// ./internal/realpages/ -v` prints the table of fields right, wrong and
// missing per site and every truth value not reproduced, with the reason.
package realpages
