package helm

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/dynamic-resource-allocation/cel"
)

const driver = "netclaim.dev"

// renderedDeviceClasses reads the DeviceClasses of the committed rendered manifests
// (`make manifests`), decoding strictly.
func renderedDeviceClasses(t *testing.T) map[string]*resourceapi.DeviceClass {
	t.Helper()
	const path = "../../deployments/manifests/netclaim.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run `make manifests`): %v", path, err)
	}
	strict := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		json.SerializerOptions{Yaml: true, Strict: true})
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	classes := map[string]*resourceapi.DeviceClass{}
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return classes
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !bytes.Contains(doc, []byte("\nkind: DeviceClass\n")) {
			continue
		}
		obj, _, err := strict.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: decoding\n%s\nerror: %v", path, doc, err)
		}
		dc := obj.(*resourceapi.DeviceClass)
		classes[dc.Name] = dc
	}
}

type attrs map[resourceapi.QualifiedName]resourceapi.DeviceAttribute

func str(v string) resourceapi.DeviceAttribute   { return resourceapi.DeviceAttribute{StringValue: &v} }
func boolean(v bool) resourceapi.DeviceAttribute { return resourceapi.DeviceAttribute{BoolValue: &v} }

// sampleDevices carry the attributes pkg/publish publishes for each kind of device (only
// those the classes read; deployments/manifests checks the names against pkg/publish).
// A VF without a netdev has no ifName, and an unbound one no driver: a selector that reads
// them unguarded fails at runtime, which aborts the whole allocation.
var sampleDevices = map[string]attrs{
	"nic":               {"kind": str("nic"), "ifName": str("eth1"), "rdma": boolean(false), "driver": str("virtio_net")},
	"pf without VFs":    {"kind": str("pf"), "ifName": str("ens1f0"), "rdma": boolean(false), "driver": str("ice")},
	"vf with netdev":    {"kind": str("vf"), "ifName": str("ens1f0v1"), "rdma": boolean(false), "driver": str("iavf")},
	"vf on vfio-pci":    {"kind": str("vf"), "rdma": boolean(false), "driver": str("vfio-pci")},
	"vf without driver": {"kind": str("vf"), "rdma": boolean(false)},
	"rdma vf":           {"kind": str("vf"), "ifName": str("ens2f0v0"), "rdma": boolean(true), "driver": str("mlx5_core")},
}

func TestDeviceClasses_SelectTheIntendedDevicesWithoutRuntimeErrors(t *testing.T) {
	want := map[string][]string{
		"netclaim-nic":      {"nic", "pf without VFs"},
		"netclaim-sriov-vf": {"rdma vf", "vf with netdev"},
		"netclaim-dpdk-vf":  {"rdma vf", "vf on vfio-pci", "vf with netdev", "vf without driver"},
		"netclaim-rdma-vf":  {"rdma vf"},
	}
	compiler := cel.GetCompiler(cel.Features{})
	got := map[string][]string{}
	for name, dc := range renderedDeviceClasses(t) {
		var programs []cel.CompilationResult
		for _, sel := range dc.Spec.Selectors {
			if sel.CEL == nil {
				t.Fatalf("class %s: a selector without CEL", name)
			}
			res := compiler.CompileCELExpression(sel.CEL.Expression, cel.Options{})
			if res.Error != nil {
				t.Fatalf("class %s: compiling %q: %v", name, sel.CEL.Expression, res.Error)
			}
			if res.MaxCost > resourceapi.CELSelectorExpressionMaxCost {
				t.Errorf("class %s: estimated cost %d exceeds the API's limit %d", name, res.MaxCost, resourceapi.CELSelectorExpressionMaxCost)
			}
			programs = append(programs, res)
		}
		got[name] = []string{}
		for devName, attributes := range sampleDevices {
			if matchesAll(t, name, devName, programs, cel.Device{Driver: driver, Attributes: attributes}) {
				got[name] = append(got[name], devName)
			}
			if matchesAll(t, name, devName, programs, cel.Device{Driver: "other.example.com", Attributes: attributes}) {
				t.Errorf("class %s selects another driver's device with the attributes of %q", name, devName)
			}
		}
		slices.Sort(got[name])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("devices each class selects (-want +got):\n%s", diff)
	}
}

func matchesAll(t *testing.T, class, device string, programs []cel.CompilationResult, d cel.Device) bool {
	t.Helper()
	all := true
	for _, p := range programs {
		ok, _, err := p.DeviceMatches(t.Context(), d)
		if err != nil {
			t.Errorf("class %s on device %q (driver %s): %v; a runtime error aborts allocation", class, device, d.Driver, err)
		}
		all = all && ok
	}
	return all
}
