// netclaimctl inspects what netclaim would do on a node, without a cluster:
// the ResourceSlices it would publish and whether a NetworkConfig is valid.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/netclaim/netclaim/pkg/version"
)

func main() {
	root := &cobra.Command{
		Use:           "netclaimctl",
		Short:         "Inspect netclaim's view of a node and validate network configs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newInventoryCommand(), newValidateCommand(), newVersionCommand())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the netclaim version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "netclaimctl %s (driver %s)\n", version.Version, version.DriverName)
		},
	}
}
