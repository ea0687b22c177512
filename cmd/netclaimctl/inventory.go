package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/dynamic-resource-allocation/deviceattribute"
	"sigs.k8s.io/yaml"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/publish"
)

type inventoryOptions struct {
	hostRoot string
	node     string
	output   string
}

func newInventoryCommand() *cobra.Command {
	o := inventoryOptions{hostRoot: "/", output: "table"}
	cmd := &cobra.Command{
		Use:   "inventory [--host-root DIR] [--node NAME] [-o table|yaml|json]",
		Short: "Print the ResourceSlices this node would publish",
		Long: `Discover the node's network devices the way the netclaim plugin does and print the
ResourceSlices it would publish, without a cluster.

--host-root reads a captured or synthetic host (DIR/sys, DIR/proc/net/route, ...) instead
of this one; 'go run ./demo/mkhost DIR' writes an example. -o yaml and -o json print a v1
List of resource.k8s.io/v1 ResourceSlices; -o table prints one line per device.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInventory(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	cmd.Flags().StringVar(&o.hostRoot, "host-root", o.hostRoot, "root of the host to inspect; / is this machine")
	cmd.Flags().StringVar(&o.node, "node", "", "node name the pool is named after (default: this machine's hostname, lowercased as kubelet does)")
	cmd.Flags().StringVarP(&o.output, "output", "o", o.output, "output format: table, yaml or json")
	return cmd
}

func runInventory(ctx context.Context, out io.Writer, o inventoryOptions) error {
	print, err := inventoryPrinter(o.output)
	if err != nil {
		return err
	}
	node, err := nodeName(o.node)
	if err != nil {
		return err
	}
	devs, err := inventory.Discover(ctx, inventory.Options{HostRoot: o.hostRoot})
	if err != nil {
		return fmt.Errorf("discovering devices under %s: %w", o.hostRoot, err)
	}
	res, err := publish.Resources(node, devs, o.hostRoot)
	if err != nil {
		return fmt.Errorf("describing the devices of node %s: %w", node, err)
	}
	return print(out, publish.Slices(node, res))
}

// nodeName defaults to the hostname, lowercased like kubelet does when it names its Node.
func nodeName(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("no --node given and the hostname is unknown: %w", err)
	}
	return strings.ToLower(host), nil
}

type slicePrinter func(io.Writer, []resourceapi.ResourceSlice) error

func inventoryPrinter(format string) (slicePrinter, error) {
	switch format {
	case "table":
		return printTable, nil
	case "yaml":
		return printYAML, nil
	case "json":
		return printJSON, nil
	}
	return nil, fmt.Errorf("output format %q: use table, yaml or json", format)
}

// sliceList is a v1 List, what kubectl prints for several objects and accepts back.
type sliceList struct {
	APIVersion string                      `json:"apiVersion"`
	Kind       string                      `json:"kind"`
	Items      []resourceapi.ResourceSlice `json:"items"`
}

func listOf(slices []resourceapi.ResourceSlice) sliceList {
	return sliceList{APIVersion: "v1", Kind: "List", Items: slices}
}

func printYAML(out io.Writer, slices []resourceapi.ResourceSlice) error {
	b, err := yaml.Marshal(listOf(slices))
	if err != nil {
		return fmt.Errorf("encoding YAML: %w", err)
	}
	_, err = out.Write(b)
	return err
}

func printJSON(out io.Writer, slices []resourceapi.ResourceSlice) error {
	b, err := json.MarshalIndent(listOf(slices), "", "  ")
	if err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	_, err = fmt.Fprintf(out, "%s\n", b)
	return err
}

// printTable prints one line per published device, read back from its attributes: what a
// DeviceClass selector would see.
func printTable(out io.Writer, slices []resourceapi.ResourceSlice) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tKIND\tIFNAME\tPCI\tDRIVER\tPF\tVF\tNUMA\tPCIEROOT\tMTU\tSPEED")
	for _, s := range slices {
		for _, d := range s.Spec.Devices {
			a := d.Attributes
			pf := attributeText(a, publish.AttributePFName)
			if pf == "-" {
				pf = attributeText(a, publish.AttributePFPCIAddress)
			}
			speed := "-"
			if c, ok := d.Capacity[publish.CapacityBandwidth]; ok {
				speed = c.Value.String()
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Name,
				attributeText(a, publish.AttributeKind), attributeText(a, publish.AttributeIfName),
				attributeText(a, publish.AttributePCIAddress), attributeText(a, publish.AttributeDriver), pf,
				attributeText(a, publish.AttributeVFIndex), attributeText(a, publish.AttributeNUMANode),
				attributeText(a, deviceattribute.StandardDeviceAttributePCIeRoot),
				attributeText(a, publish.AttributeMTU), speed)
		}
	}
	return w.Flush()
}

// attributeText renders a scalar attribute, "-" when the device does not publish it.
func attributeText(attrs map[resourceapi.QualifiedName]resourceapi.DeviceAttribute, name resourceapi.QualifiedName) string {
	a, ok := attrs[name]
	switch {
	case !ok:
		return "-"
	case a.StringValue != nil:
		return *a.StringValue
	case a.IntValue != nil:
		return strconv.FormatInt(*a.IntValue, 10)
	case a.BoolValue != nil:
		return strconv.FormatBool(*a.BoolValue)
	case a.VersionValue != nil:
		return *a.VersionValue
	}
	return "-"
}
