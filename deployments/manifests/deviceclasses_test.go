package manifests

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	resourceapi "k8s.io/api/resource/v1"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/pkg/publish"
)

// attributeRef finds the netclaim.dev attributes a selector reads:
// device.attributes["netclaim.dev"].NAME and "NAME" in device.attributes["netclaim.dev"].
var attributeRef = regexp.MustCompile(`device\.attributes\["netclaim\.dev"\]\.(\w+)|"(\w+)" in device\.attributes\["netclaim\.dev"\]`)

// The selectors' behaviour is tested with the DRA CEL library in hack/helm; this ties the
// attribute names they read to the names pkg/publish publishes.
func TestDeviceClasses_ReadOnlyAttributesThePluginPublishes(t *testing.T) {
	published := map[string]bool{}
	for _, name := range []resourceapi.QualifiedName{
		publish.AttributeKind, publish.AttributeIfName, publish.AttributePCIAddress, publish.AttributeVendor,
		publish.AttributeDeviceID, publish.AttributeDriver, publish.AttributePFName, publish.AttributePFPCIAddress,
		publish.AttributeVFIndex, publish.AttributeSRIOVTotalVFs, publish.AttributeSRIOVNumVFs, publish.AttributeLinkType,
		publish.AttributeRDMA, publish.AttributeMAC, publish.AttributeMTU, publish.AttributeOperState,
		publish.AttributeSpeedMbps, publish.AttributeVirtual, publish.AttributeNUMANode,
	} {
		published[string(name)] = true
	}
	classes := deviceClasses(t)
	if len(classes) == 0 {
		t.Fatal("no DeviceClasses in netclaim.yaml")
	}
	for name, dc := range classes {
		read := 0
		for _, sel := range dc.Spec.Selectors {
			for _, m := range attributeRef.FindAllStringSubmatch(sel.CEL.Expression, -1) {
				attr := m[1] + m[2]
				read++
				if !published[attr] {
					t.Errorf("class %s reads netclaim.dev attribute %q, which pkg/publish does not publish", name, attr)
				}
			}
		}
		if read == 0 {
			t.Errorf("class %s reads no netclaim.dev attribute: it would select every netclaim device", name)
		}
	}
}

func TestDeviceClasses_ConfigDecodesAndValidates(t *testing.T) {
	classes := deviceClasses(t)
	for name, dc := range classes {
		for i, c := range dc.Spec.Config {
			if c.Opaque == nil || c.Opaque.Driver != "netclaim.dev" {
				t.Errorf("class %s config %d: want opaque config for netclaim.dev, got %+v", name, i, c)
				continue
			}
			cfg, err := v1alpha1.Decode(c.Opaque.Parameters.Raw)
			if err != nil {
				t.Errorf("class %s config %d: %v", name, i, err)
				continue
			}
			if errs := cfg.Validate(v1alpha1.ValidationContext{Partial: true}); len(errs) > 0 {
				t.Errorf("class %s config %d: %v", name, i, errs.ToAggregate())
			}
		}
	}
	dpdk := classes["netclaim-dpdk-vf"]
	if dpdk == nil || len(dpdk.Spec.Config) != 1 {
		t.Fatalf("netclaim-dpdk-vf: want one config, got %+v", dpdk)
	}
	cfg, err := v1alpha1.Decode(dpdk.Spec.Config[0].Opaque.Parameters.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&v1alpha1.SRIOVConfig{Driver: "vfio-pci"}, cfg.SRIOV); diff != "" {
		t.Errorf("netclaim-dpdk-vf sriov config (-want +got):\n%s", diff)
	}
}
