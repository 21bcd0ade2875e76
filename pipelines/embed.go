// Package pipelines embeds the site files shipped with counternet, so the
// demo runs from the binary alone. Operators add their own site files beside
// these and name them in the config (collect.pipelines).
package pipelines

import "embed"

// Files holds every site file in this directory.
//
//go:embed *.yaml
var Files embed.FS
