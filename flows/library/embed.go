// Package library embeds the guides (one YAML file per flow) into the binary.
package library

import "embed"

// FS holds every *.yaml guide of this folder.
//
//go:embed *.yaml
var FS embed.FS
