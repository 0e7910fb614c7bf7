package config

import _ "embed"

// Example is the fully commented scangate.toml, every key at its default.
// The image build copies it to the boot partition.
//
//go:embed scangate.example.toml
var Example []byte
