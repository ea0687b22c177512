package driver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/types"
	"tags.cncf.io/container-device-interface/pkg/cdi"
	"tags.cncf.io/container-device-interface/pkg/parser"
	cdispec "tags.cncf.io/container-device-interface/specs-go"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/plan"
)

// CDI vendor and class of netclaim's devices: kind "netclaim.dev/net".
const (
	cdiVendor = "netclaim.dev"
	cdiClass  = "net"
	cdiKind   = cdiVendor + "/" + cdiClass
)

// cdiSpecs writes and removes one transient CDI spec per claim. The spec tells containers
// which interface they got (the interface itself arrives later, from the NRI hook).
type cdiSpecs struct {
	dir   string
	cache *cdi.Cache
}

func newCDISpecs(dir string) (*cdiSpecs, error) {
	// Without auto-refresh the cache starts no directory watcher; netclaim only writes
	// specs through it and never looks devices up.
	cache, err := cdi.NewCache(cdi.WithSpecDirs(dir), cdi.WithAutoRefresh(false))
	if err != nil {
		return nil, fmt.Errorf("CDI cache for %s: %w", dir, err)
	}
	return &cdiSpecs{dir: dir, cache: cache}, nil
}

// specName is the spec file's name (JSON) for a claim. It includes the claim UID, which
// the kubelet never reuses, so a runtime's stale cache can never serve an old spec.
func specName(claimUID string) string {
	return cdi.GenerateTransientSpecName(cdiVendor, cdiClass, claimUID) + ".json"
}

// cdiDeviceName is unique per claim and device, for the same reason.
func cdiDeviceName(claimUID, device string) string { return claimUID + "-" + device }

// write writes the claim's spec (atomically, by the cdi package's temp file and rename)
// and returns the CDI device IDs in Devices order.
func (s *cdiSpecs) write(c plan.Claim) ([]string, error) {
	spec, ids := specFor(c)
	version, err := cdispec.MinimumRequiredVersion(spec)
	if err != nil {
		return nil, fmt.Errorf("CDI spec for claim %s: %w", c.UID, err)
	}
	spec.Version = version
	if err := s.cache.WriteSpec(spec, specName(c.UID)); err != nil {
		return nil, fmt.Errorf("writing CDI spec %s: %w", filepath.Join(s.dir, specName(c.UID)), err)
	}
	return ids, nil
}

// ensure rewrites a prepared claim's spec if it is missing.
func (s *cdiSpecs) ensure(c plan.Claim) error {
	if len(c.Devices) == 0 {
		return nil
	}
	_, err := os.Stat(filepath.Join(s.dir, specName(c.UID)))
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checking CDI spec: %w", err)
	}
	_, err = s.write(c)
	return err
}

// remove deletes a claim's spec; a missing spec is fine (unprepare is retried).
func (s *cdiSpecs) remove(claimUID string) error {
	if err := s.cache.RemoveSpec(specName(claimUID)); err != nil {
		return fmt.Errorf("removing CDI spec %s: %w", filepath.Join(s.dir, specName(claimUID)), err)
	}
	return nil
}

// removeOrphans deletes the specs of claims the checkpoint does not hold. A plugin killed
// between writing a claim's spec and persisting its plan leaves one behind; kubelet retries
// prepare (which rewrites it) or unprepares (which removes it), but a claim deleted while
// the plugin was down gets neither, and its spec would stay forever.
func (s *cdiSpecs) removeOrphans(store *checkpoint.Store) error {
	prefix := strings.TrimSuffix(specName(""), ".json")
	paths, err := filepath.Glob(filepath.Join(s.dir, prefix+"*.json"))
	if err != nil {
		return fmt.Errorf("listing CDI specs in %s: %w", s.dir, err)
	}
	var errs []error
	for _, path := range paths {
		claimUID := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), prefix), ".json")
		if _, known := store.Get(claimUID); known {
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing orphaned CDI spec %s: %w", path, err))
		}
	}
	return errors.Join(errs...)
}

// specFor renders a claim's plan as a CDI spec with one CDI device per allocated device,
// and returns the devices' qualified IDs.
func specFor(c plan.Claim) (*cdispec.Spec, []string) {
	spec := &cdispec.Spec{Kind: cdiKind}
	ids := make([]string, len(c.Devices))
	env := deviceEnv(c.Devices)
	for i, dev := range c.Devices {
		name := cdiDeviceName(c.UID, dev.Device)
		spec.Devices = append(spec.Devices, cdispec.Device{
			Name:           name,
			ContainerEdits: cdispec.ContainerEdits{Env: env[i], DeviceNodes: deviceNodes(dev)},
		})
		ids[i] = parser.QualifiedName(cdiVendor, cdiClass, name)
	}
	return spec, ids
}

// deviceEnv gives each device NETCLAIM_<REQUEST>_IFNAME (not a vfio-pci device, which has
// no interface), for PCI devices NETCLAIM_<REQUEST>_PCI_ADDRESS (what DPDK and SR-IOV aware
// apps look for), and the variables of deviceNodeEnv. REQUEST is the
// request name uppercased with '-' as '_'; when a request has several devices, each gets
// its index within the request: NETCLAIM_<REQUEST>_<i>_IFNAME.
func deviceEnv(devices []plan.Device) [][]string {
	perRequest := map[string]int{}
	for _, dev := range devices {
		perRequest[dev.Request]++
	}
	seen := map[string]int{}
	env := make([][]string, len(devices))
	for i, dev := range devices {
		prefix := "NETCLAIM_" + strings.ToUpper(strings.ReplaceAll(dev.Request, "-", "_"))
		if perRequest[dev.Request] > 1 {
			prefix = fmt.Sprintf("%s_%d", prefix, seen[dev.Request])
			seen[dev.Request]++
		}
		if dev.Target.Name != "" {
			env[i] = []string{prefix + "_IFNAME=" + dev.Target.Name}
		}
		if dev.Host.PCIAddress != "" {
			env[i] = append(env[i], prefix+"_PCI_ADDRESS="+dev.Host.PCIAddress)
		}
		env[i] = append(env[i], deviceNodeEnv(prefix, dev)...)
	}
	return env
}

// writeCDISpecs writes the spec of every claim that has devices and records the CDI IDs
// in its plan.
func (d *Driver) writeCDISpecs(fresh []*pendingClaim) map[types.UID]error {
	failed := map[types.UID]error{}
	for _, p := range fresh {
		if len(p.plan.Devices) == 0 {
			continue // a CDI spec without devices is invalid, and there is nothing to say
		}
		ids, err := d.cdi.write(p.plan)
		if err != nil {
			failed[p.claim.UID] = err
			continue
		}
		p.plan.CDIDeviceIDs = ids
	}
	return failed
}
