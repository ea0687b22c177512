// Package helm pins the helm CLI as a tool of this module (hack/helm/build.sh builds it),
// kept out of the driver's go.mod. Its test runs the chart's rendered DeviceClass
// selectors through the DRA CEL library kube-scheduler uses, which the driver's module
// does not otherwise depend on.
package helm
