package configs

import _ "embed" // for go:embed of the default config

// Default is counternet.yaml, the built-in default configuration: every key
// with its default value and a comment for the operator. Package config
// decodes it before any config file.
//
//go:embed counternet.yaml
var Default []byte
