// Package pciids carries the minimal pci.ids file netclaim falls back to when neither the
// inspected host nor the machine running discovery has one (see pkg/inventory).
package pciids

import _ "embed"

// Minimal is a small, valid pci.ids database: enough for ghw to load, not for naming
// devices. netclaim never publishes PCI names, only hex IDs.
//
//go:embed pci.ids
var Minimal []byte
