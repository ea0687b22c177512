package driver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"k8s.io/klog/v2/ktesting"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/plan"
	"github.com/netclaim/netclaim/test/netnstest"
)

// Devices of the test node.
var (
	vf1 = inventory.Device{Name: "pci-0000-3b-02-1", Kind: inventory.KindVF, IfName: "ens1f0v1", PCIAddress: "0000:3b:02.1",
		Driver: "iavf", PFName: "ens1f0", PFPCIAddress: "0000:3b:00.0", MAC: "02:00:00:00:02:01", MTU: 9000}
	vf2 = inventory.Device{Name: "pci-0000-3b-02-2", Kind: inventory.KindVF, IfName: "ens1f0v2", PCIAddress: "0000:3b:02.2",
		Driver: "iavf", PFName: "ens1f0", PFPCIAddress: "0000:3b:00.0", MAC: "02:00:00:00:02:02", MTU: 9000}
	nic1 = inventory.Device{Name: "pci-0000-5e-00-0", Kind: inventory.KindNIC, IfName: "ens5", PCIAddress: "0000:5e:00.0",
		Driver: "ixgbe", MAC: "02:00:00:00:05:00", MTU: 1500}
	veth1 = inventory.Device{Name: "veth-a", Kind: inventory.KindNIC, IfName: "veth-a", Driver: "veth",
		MAC: "02:00:00:00:0a:01", MTU: 1500, Virtual: true}
	vfioVF = inventory.Device{Name: "pci-0000-3b-02-3", Kind: inventory.KindVF, PCIAddress: "0000:3b:02.3",
		Driver: "vfio-pci", PFName: "ens1f0", PFPCIAddress: "0000:3b:00.0", MTU: 0}
)

// fixture is a Driver over a checkpoint and CDI directory in t.TempDir().
type fixture struct {
	driver    *Driver
	store     *checkpoint.Store
	ckptPath  string
	cdiDir    string
	recorder  *record.FakeRecorder
	detacher  *recordingDetacher
	netdevs   NetdevKeeper
	inventory map[string]inventory.Device
	// hostRoot and pci are the driver's Config.HostRoot and Config.PCI.
	hostRoot string
	pci      Binder
}

func newFixture(t testing.TB, devices ...inventory.Device) *fixture {
	t.Helper()
	f := unstartedFixture(t, devices...)
	f.start(t)
	return f
}

// unstartedFixture is a fixture whose driver start creates, once the test has set what
// it needs (hostRoot, pci).
func unstartedFixture(t testing.TB, devices ...inventory.Device) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{
		ckptPath:  filepath.Join(dir, "state", "checkpoint.json"),
		cdiDir:    filepath.Join(dir, "cdi"),
		recorder:  record.NewFakeRecorder(100),
		detacher:  &recordingDetacher{},
		netdevs:   newFakeNetdevs(),
		inventory: map[string]inventory.Device{},
	}
	for _, d := range devices {
		f.inventory[d.Name] = d
	}
	return f
}

// start (re)creates the store and driver from the files, as a plugin restart does.
func (f *fixture) start(t testing.TB) {
	t.Helper()
	store, err := checkpoint.Open(f.ckptPath)
	if err != nil {
		t.Fatalf("opening checkpoint: %v", err)
	}
	f.store = store
	d, err := New(Config{
		DriverName: testDriver,
		NodeName:   testNode,
		Checkpoint: store,
		CDIDir:     f.cdiDir,
		Devices: func(name string) (inventory.Device, bool) {
			dev, ok := f.inventory[name]
			return dev, ok
		},
		Detacher: f.detacher,
		Netdevs:  f.netdevs,
		Recorder: f.recorder,
		HostRoot: f.hostRoot,
		PCI:      f.pci,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.driver = d
}

func (f *fixture) prepare(t testing.TB, claims ...*resourceapi.ResourceClaim) map[types.UID]kubeletplugin.PrepareResult {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	results, err := f.driver.PrepareResourceClaims(ctx, claims)
	if err != nil {
		t.Fatalf("PrepareResourceClaims returned an overall error: %v", err)
	}
	if len(results) != len(claims) {
		t.Fatalf("PrepareResourceClaims returned %d results for %d claims", len(results), len(claims))
	}
	return results
}

// mustPrepare prepares claims and fails the test on any per-claim error.
func (f *fixture) mustPrepare(t testing.TB, claims ...*resourceapi.ResourceClaim) map[types.UID]kubeletplugin.PrepareResult {
	t.Helper()
	results := f.prepare(t, claims...)
	for uid, r := range results {
		if r.Err != nil {
			t.Fatalf("claim %s: %v", uid, r.Err)
		}
	}
	return results
}

func (f *fixture) unprepare(t testing.TB, claims ...*resourceapi.ResourceClaim) map[types.UID]error {
	t.Helper()
	refs := make([]kubeletplugin.NamespacedObject, len(claims))
	for i, c := range claims {
		refs[i] = kubeletplugin.NamespacedObject{NamespacedName: types.NamespacedName{Namespace: c.Namespace, Name: c.Name}, UID: c.UID}
	}
	_, ctx := ktesting.NewTestContext(t)
	results, err := f.driver.UnprepareResourceClaims(ctx, refs)
	if err != nil {
		t.Fatalf("UnprepareResourceClaims returned an overall error: %v", err)
	}
	if len(results) != len(claims) {
		t.Fatalf("UnprepareResourceClaims returned %d results for %d claims", len(results), len(claims))
	}
	return results
}

// checkpointed reads the checkpoint file back through a fresh store, not the driver's.
func (f *fixture) checkpointed(t testing.TB) map[string]plan.Claim {
	t.Helper()
	s, err := checkpoint.Open(f.ckptPath)
	if err != nil {
		t.Fatalf("reopening checkpoint: %v", err)
	}
	out := map[string]plan.Claim{}
	for _, c := range s.List() {
		out[c.UID] = c
	}
	return out
}

// checkpointBytes returns both checkpoint slot files: any write changes one of them.
func (f *fixture) checkpointBytes(t testing.TB) []byte {
	t.Helper()
	var all []byte
	for _, slot := range []string{".a", ".b"} {
		data, err := os.ReadFile(f.ckptPath + slot)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, data...)
	}
	return all
}

// cdiFiles lists the CDI directory.
func (f *fixture) cdiFiles(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(f.cdiDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func (f *fixture) events() []string {
	var out []string
	for {
		select {
		case e := <-f.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// specFile is the CDI spec file name of a claim.
func specFile(name string) string { return "netclaim.dev-net_" + string(claimUID(name)) + ".json" }

// recordingDetacher records the claims it detaches and fails while err is set.
type recordingDetacher struct {
	mu       sync.Mutex
	err      error
	detached []string
}

func (r *recordingDetacher) DetachClaim(_ context.Context, c plan.Claim) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.detached = append(r.detached, c.UID)
	return r.err
}

func (r *recordingDetacher) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.detached)
}

// wantErrContaining fails unless err is set and mentions every part.
func wantErrContaining(t testing.TB, err error, parts ...string) {
	t.Helper()
	netnstest.RequireErrorContains(t, err, parts...)
}
