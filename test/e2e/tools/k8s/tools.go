//go:build tools

// Package tools pins the Kubernetes commands the e2e control plane and the real node
// (make e2e-node: kubelet) run, so that
// `go mod tidy` keeps every package they need in go.sum. build.sh builds them with
// `go build k8s.io/kubernetes/cmd/...`; nothing imports this package.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
