// Package driver is netclaim's kubelet plugin: it implements kubeletplugin.DRAPlugin.
//
// NodePrepareResources runs before the pod's network namespace exists, so prepare mostly
// decides: it validates each claim's configuration against the allocated devices, picks
// the interface names, builds the complete plan.Claim, writes a CDI spec that tells the
// containers their interfaces and device nodes, and persists the plan in the checkpoint
// for the NRI hook to carry out. It does change the host for a device handed to the pod
// through vfio-pci (DPDK, sriov.driver: vfio-pci): it rebinds the VF from its kernel
// driver to vfio-pci and makes the VF's settings on its PF, after recording the original
// binding, netdev and PF entry in the checkpoint. Unprepare detaches a claim that is
// still attached, puts those devices back on their original drivers (restoring their
// netdevs and PF entries), and removes the CDI spec and the checkpoint entry.
package driver

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	resourceapi "k8s.io/api/resource/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/record"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/pcibind"
	"github.com/netclaim/netclaim/pkg/plan"
)

// Config wires a Driver to its node.
type Config struct {
	// DriverName is the DRA driver name ("netclaim.dev"); only allocation results and
	// configs for this driver are handled.
	DriverName string
	// NodeName is this node; its pool carries the same name.
	NodeName string
	// Checkpoint holds the prepared claims; shared with the NRI plugin.
	Checkpoint *checkpoint.Store
	// CDIDir is where per-claim CDI specs are written, e.g. /var/run/cdi.
	CDIDir string
	// Devices looks up the current inventory by published device name.
	Devices func(name string) (inventory.Device, bool)
	// Attributes, when set, returns the attributes published for a device; they go into
	// the device metadata file (KEP-5304) that containers can read.
	Attributes func(device string) map[resourceapi.QualifiedName]resourceapi.DeviceAttribute
	// Detacher restores the devices of an attached claim; nil only in tests that never
	// unprepare an attached claim.
	Detacher Detacher
	// Netdevs records the netdev of a device that prepare rebinds (sriov.driver: vfio-pci)
	// and restores it at unprepare; without it such a device with a netdev is refused.
	Netdevs NetdevKeeper
	// HostRoot is the host the inventory describes, as inventory.Options.HostRoot: "" or
	// "/" for the live host. Prepare reads HostRoot/sys for RDMA devices.
	HostRoot string
	// PCI reads and changes the driver bindings of PCI devices (sriov.driver: vfio-pci).
	// Nil means pcibind over HostRoot, which changes bindings only on the live host.
	PCI Binder
	// Recorder, when set, receives a Warning event on the claim for every failed prepare.
	Recorder record.EventRecorder
	// OnFatalError, when set, is called by HandleError for background errors that retrying
	// will not fix (see kubeletplugin.ErrRecoverable); main cancels its context there.
	OnFatalError func(error)
	// StepHook, when set, is called at the step boundaries of prepare and unprepare
	// (the Step* constants). It exists only for fault-injection tests, which kill the
	// process there to check that a restarted plugin converges; leave it nil.
	StepHook func(step string)
}

// Steps of prepare and unprepare after which Config.StepHook runs, in the order they happen.
const (
	StepPrepareValidated           = "prepare/validated"
	StepPrepareCDIWritten          = "prepare/cdi-written"
	StepPrepareCheckpointed        = "prepare/checkpointed"
	StepUnprepareDetached          = "unprepare/detached"
	StepUnprepareCDIRemoved        = "unprepare/cdi-removed"
	StepUnprepareCheckpointDeleted = "unprepare/checkpoint-deleted"
	// Only for claims with devices to rebind (sriov.driver: vfio-pci).
	StepPrepareBindingsRecorded  = "prepare/bindings-recorded"
	StepPrepareDriversBound      = "prepare/drivers-bound"
	StepUnprepareDriversRestored = "unprepare/drivers-restored"
)

func (d *Driver) step(step string) {
	if d.cfg.StepHook != nil {
		d.cfg.StepHook(step)
	}
}

// Detacher brings the devices of an attached claim back to the host. pkg/nri implements it.
type Detacher interface {
	DetachClaim(ctx context.Context, c plan.Claim) error
}

// Driver is the kubelet plugin. Create it with New.
type Driver struct {
	cfg Config
	cdi *cdiSpecs
	// pci reads PCI devices' sysfs and rebinds their drivers (vfio-pci).
	pci Binder
	// sysfs is HostRoot's sysfs folder.
	sysfs string

	// mu serialises prepare and unprepare. Interface names and device exclusivity are
	// decided against the checkpoint's current content, so two overlapping calls for
	// the same pod could otherwise both pick net1. The kubelet helper serialises gRPC
	// calls by default; this keeps the driver correct if that is ever turned off.
	mu sync.Mutex
}

var _ kubeletplugin.DRAPlugin = (*Driver)(nil)

// New checks cfg and creates a Driver.
func New(cfg Config) (*Driver, error) {
	var missing []error
	for _, f := range []struct {
		name  string
		unset bool
	}{
		{"DriverName", cfg.DriverName == ""},
		{"NodeName", cfg.NodeName == ""},
		{"Checkpoint", cfg.Checkpoint == nil},
		{"CDIDir", cfg.CDIDir == ""},
		{"Devices", cfg.Devices == nil},
	} {
		if f.unset {
			missing = append(missing, fmt.Errorf("driver config: %s is required", f.name))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return nil, err
	}
	specs, err := newCDISpecs(cfg.CDIDir)
	if err != nil {
		return nil, err
	}
	if err := specs.removeOrphans(cfg.Checkpoint); err != nil {
		return nil, err
	}
	pci := cfg.PCI
	if pci == nil {
		pci = pcibind.New(cfg.HostRoot)
	}
	return &Driver{cfg: cfg, cdi: specs, pci: pci, sysfs: filepath.Join(hostRootDir(cfg.HostRoot), "sys")}, nil
}

// hostRootDir is the folder HostRoot names: "" is the live host's "/".
func hostRootDir(hostRoot string) string {
	if hostRoot == "" {
		return "/"
	}
	return hostRoot
}

// HandleError reports background errors of the kubelet plugin helper (ResourceSlice
// publishing). Errors that retrying cannot fix go to OnFatalError.
func (d *Driver) HandleError(ctx context.Context, err error, msg string) {
	utilruntime.HandleErrorWithContext(ctx, err, msg)
	if !errors.Is(err, kubeletplugin.ErrRecoverable) && d.cfg.OnFatalError != nil {
		d.cfg.OnFatalError(fmt.Errorf("%s: %w", msg, err))
	}
}

// WatchHealthStatus opts out of device health reporting.
func (d *Driver) WatchHealthStatus(context.Context, chan<- kubeletplugin.DeviceHealthReport) error {
	return kubeletplugin.ErrHealthNotSupported
}
