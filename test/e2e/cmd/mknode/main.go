// mknode builds the "hardware" of one simulated e2e node: a synthetic sysfs/procfs tree
// (pkg/inventory/fakesys) for the plugin's --host-root, and the matching interfaces, as
// veth pairs, inside the node's network namespace (which must exist: `ip netns add`).
// The tree and the interfaces agree on names, MACs and MTUs, so what the plugin publishes
// from the tree is what attach finds in the namespace.
//
//	mknode --index 1 --root /run/netclaim-e2e/nodes/nc-node-1/root --netns /run/netns/nc-node-1
package main

import (
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
)

func main() {
	index := flag.Int("index", 0, "node index, 1-based; selects the node's hardware (see topology.go)")
	root := flag.String("root", "", "directory to write the fake host into (must be empty or absent)")
	nsPath := flag.String("netns", "", "network namespace to create the interfaces in, e.g. /run/netns/nc-node-1; empty writes the tree only")
	flag.Parse()
	if *index == 0 || *root == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: mknode --index N --root DIR [--netns PATH]")
		os.Exit(2)
	}
	if err := run(*index, *root, *nsPath); err != nil {
		fmt.Fprintln(os.Stderr, "mknode:", err)
		os.Exit(1)
	}
}

func run(index int, root, nsPath string) error {
	t, err := nodeTopology(index)
	if err != nil {
		return err
	}
	if err := t.host.Write(root); err != nil {
		return err
	}
	if nsPath != "" {
		if err := createLinks(nsPath, t.links); err != nil {
			return err
		}
	}
	return printLinks(index, t.links)
}

func printLinks(index int, links []link) error {
	w := tabwriter.NewWriter(os.Stderr, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "node %d interfaces:\n", index)
	for _, l := range links {
		fmt.Fprintf(w, "  %s\t%s\tmtu %d\tpeer %s\n", l.Name, l.MAC, l.MTU, peerName(l.Name))
	}
	return w.Flush()
}
