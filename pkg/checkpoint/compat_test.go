package checkpoint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/plan"
)

// A checkpoint written by a build whose plan still had the fields nobody read (podName,
// podNamespace, host.mtu, the originals' index) loads under the same version: the
// fields are ignored and everything else is kept.
func TestOpen_LoadsACheckpointWithFieldsThisBuildDropped(t *testing.T) {
	payload := `[{"uid":"a","namespace":"ns","name":"claim-a","podUID":"p","podName":"pod-p","podNamespace":"ns",
		"devices":[{"request":"data","pool":"node-a","device":"pci-0000-3b-02-1",
			"host":{"name":"ens1f0v1","pciAddress":"0000:3b:02.1","hardwareAddr":"02:00:00:00:00:01","mtu":9000},
			"target":{"name":"net1"},
			"vfio":{"groupDevice":"/dev/vfio/12","rebind":{"driver":"iavf"},
				"netdev":{"name":"ens1f0v1","index":7,"mtu":9000,"hardwareAddr":"02:00:00:00:00:01","up":true}}}],
		"attachment":{"sandboxID":"s","netnsPath":"/var/run/netns/p",
			"originals":[{"name":"ens1f0v1","index":7,"mtu":9000,"hardwareAddr":"02:00:00:00:00:01","up":true}]}}]`
	sum, err := checksum([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(file{Version: Version, Generation: 1, Checksum: sum, Claims: json.RawMessage(payload)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "checkpoint.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	got, ok := reopen(t, path).Get("a")

	netdev := plan.Original{Name: "ens1f0v1", MTU: 9000, HardwareAddr: "02:00:00:00:00:01", Up: true}
	want := plan.Claim{UID: "a", Namespace: "ns", Name: "claim-a", PodUID: "p",
		Devices: []plan.Device{{Request: "data", Pool: "node-a", Device: "pci-0000-3b-02-1",
			Host:   plan.HostLink{Name: "ens1f0v1", PCIAddress: "0000:3b:02.1", HardwareAddr: "02:00:00:00:00:01"},
			Target: plan.Interface{Name: "net1"},
			VFIO:   &plan.VFIO{GroupDevice: "/dev/vfio/12", Rebind: &plan.Binding{Driver: "iavf"}, Netdev: &netdev}}},
		Attachment: &plan.Attachment{SandboxID: "s", NetnsPath: "/var/run/netns/p", Originals: []plan.Original{netdev}},
	}
	if !ok {
		t.Fatal("claim a is not in the store")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claim from an older checkpoint (-want +got):\n%s", diff)
	}
}
