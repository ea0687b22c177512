// Command etcd is etcd's own entry point, built at the version Kubernetes uses, so the e2e
// control plane needs no downloaded release binaries.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
