// Package manifests holds no code: its tests check the plain manifests rendered from the
// Helm chart (`make manifests`) against the Kubernetes API types, the plugin's flags and
// the attributes the plugin publishes, so a typo in the chart fails `go test`.
package manifests
