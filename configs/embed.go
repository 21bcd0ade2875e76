// Package configs embeds counternet's default configuration and reference
// data so the binary runs on embedded defaults with no files beside it.
package configs

import "embed"

// Reference holds the reference data files under reference/ (ISO 3166
// countries, shipping-region strings), each documented in reference/SOURCES.md.
//
//go:embed reference
var Reference embed.FS
