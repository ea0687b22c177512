package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/inventory/fakesys"
	"github.com/netclaim/netclaim/pkg/publish"
)

var quantityEqual = cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })

func exampleHostRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := fakesys.Example().Write(root); err != nil {
		t.Fatalf("writing the example host: %v", err)
	}
	return root
}

func runInventoryCommand(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newInventoryCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// expectedSlices is what the command must print: the library's own rendering.
func expectedSlices(t *testing.T, root, node string) []resourceapi.ResourceSlice {
	t.Helper()
	devs, err := inventory.Discover(context.Background(), inventory.Options{HostRoot: root})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	res, err := publish.Resources(node, devs, root)
	if err != nil {
		t.Fatalf("Resources: %v", err)
	}
	return publish.Slices(node, res)
}

func TestInventory_PrintsAListOfResourceSlicesThatReadsBack(t *testing.T) {
	root := exampleHostRoot(t)
	want := expectedSlices(t, root, "node-a")
	decoders := map[string]func([]byte, any) error{
		"yaml": func(b []byte, v any) error { return yaml.UnmarshalStrict(b, v) },
		"json": json.Unmarshal,
	}
	for format, decode := range decoders {
		t.Run(format, func(t *testing.T) {
			out, err := runInventoryCommand(t, "--host-root", root, "--node", "node-a", "-o", format)
			if err != nil {
				t.Fatalf("inventory -o %s: %v\n%s", format, err, out)
			}
			var got sliceList
			if err := decode([]byte(out), &got); err != nil {
				t.Fatalf("the %s output does not decode: %v\n%s", format, err, out)
			}
			if got.APIVersion != "v1" || got.Kind != "List" {
				t.Errorf("printed a %s/%s, want a v1 List", got.APIVersion, got.Kind)
			}
			if diff := cmp.Diff(want, got.Items, quantityEqual); diff != "" {
				t.Errorf("printed slices differ from what the node publishes (-want +got):\n%s", diff)
			}
			for _, s := range got.Items {
				if s.APIVersion != "resource.k8s.io/v1" || s.Kind != "ResourceSlice" || !strings.HasPrefix(s.Name, "node-a-netclaim.dev-") {
					t.Errorf("item %s is %s/%s, want a resource.k8s.io/v1 ResourceSlice named node-a-netclaim.dev-N", s.Name, s.APIVersion, s.Kind)
				}
			}
		})
	}
}

func TestInventory_TableShowsOneLinePerDevice(t *testing.T) {
	root := exampleHostRoot(t)
	out, err := runInventoryCommand(t, "--host-root", root, "--node", "node-a")
	if err != nil {
		t.Fatalf("inventory: %v\n%s", err, out)
	}
	var got [][]string
	for line := range strings.Lines(out) {
		got = append(got, strings.Fields(line))
	}
	want := [][]string{
		{"NAME", "KIND", "IFNAME", "PCI", "DRIVER", "PF", "VF", "NUMA", "PCIEROOT", "MTU", "SPEED"},
		{"pci-0000-3b-02-0", "vf", "ens1f0v0", "0000:3b:02.0", "mlx5_core", "ens1f0", "0", "0", "pci0000:3a", "9000", "25G"},
		{"pci-0000-3b-02-1", "vf", "ens1f0v1", "0000:3b:02.1", "mlx5_core", "ens1f0", "1", "0", "pci0000:3a", "9000", "25G"},
		{"pci-0000-3b-02-2", "vf", "-", "0000:3b:02.2", "vfio-pci", "ens1f0", "2", "0", "pci0000:3a", "-", "-"},
		{"pci-0000-3b-02-3", "vf", "ens1f0v3", "0000:3b:02.3", "mlx5_core", "ens1f0", "3", "0", "pci0000:3a", "1500", "-"},
		{"pci-0000-af-00-0", "nic", "ens3", "0000:af:00.0", "e1000e", "-", "-", "1", "pci0000:ae", "1500", "1G"},
		{"pci-0000-d8-00-0", "pf", "ens4f0", "0000:d8:00.0", "ice", "-", "-", "1", "pci0000:d7", "1500", "100G"},
		{"veth-a", "nic", "veth-a", "-", "-", "-", "-", "-", "-", "1500", "-"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table differs (-want +got):\n%s", diff)
	}
}

func TestInventory_NodeDefaultsToTheLowercasedHostname(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skipf("this machine has no hostname: %v", err)
	}
	out, err := runInventoryCommand(t, "--host-root", exampleHostRoot(t), "-o", "json")
	if err != nil {
		t.Fatalf("inventory: %v\n%s", err, out)
	}
	var got sliceList
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	want := strings.ToLower(host)
	for _, s := range got.Items {
		if s.Spec.Pool.Name != want || s.Spec.NodeName == nil || *s.Spec.NodeName != want {
			t.Errorf("slice %s: pool %q node %v, want both %q", s.Name, s.Spec.Pool.Name, s.Spec.NodeName, want)
		}
	}
}

func TestInventory_RejectsUnknownFormatsAndMissingHosts(t *testing.T) {
	if _, err := runInventoryCommand(t, "--host-root", exampleHostRoot(t), "-o", "xml"); err == nil || !strings.Contains(err.Error(), "table, yaml or json") {
		t.Errorf("-o xml: error = %v, want one listing the formats", err)
	}
	if _, err := runInventoryCommand(t, "--host-root", t.TempDir(), "--node", "n"); err == nil || !strings.Contains(err.Error(), "host-root") {
		t.Errorf("an empty host root: error = %v, want one pointing at --host-root", err)
	}
}
