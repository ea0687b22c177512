// mkhost writes the example host of pkg/inventory/fakesys into a directory, for
// `netclaimctl inventory --host-root DIR` and the demo:
//
//	go run ./demo/mkhost DIR
package main

import (
	"fmt"
	"os"

	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkhost DIR   (DIR must be empty or absent)")
		os.Exit(2)
	}
	if err := fakesys.Example().Write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
