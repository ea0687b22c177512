package driver

import (
	"maps"
	"slices"
	"sync"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/inventory"
)

// Inventory is the node's device list as prepare and publishing see it. A device handed
// to a pod leaves the host's view: its netdev moves into the pod's netns (a VF loses its
// ifName, MAC and link facts; a veth or macvlan stand-in vanishes entirely). Rediscovery
// must not turn that into a changed or withdrawn device while a claim holds it, so every
// device a checkpointed claim uses keeps the description it had before it was taken.
type Inventory struct {
	checkpoint *checkpoint.Store

	mu     sync.RWMutex
	byName map[string]inventory.Device
}

// NewInventory returns an empty Inventory over the claims in store.
func NewInventory(store *checkpoint.Store) *Inventory {
	return &Inventory{checkpoint: store, byName: map[string]inventory.Device{}}
}

// Lookup returns the device published under name.
func (inv *Inventory) Lookup(name string) (inventory.Device, bool) {
	inv.mu.RLock()
	defer inv.mu.RUnlock()
	d, ok := inv.byName[name]
	return d, ok
}

// Update replaces the scan and returns the devices to publish, sorted by name: the scanned
// devices, with those in use by a claim kept as they were described before. A device in
// use that this process never saw (it restarted while the device was in a pod) is not
// made up from partial facts: it stays unpublished until it comes home, which leaves its
// allocation intact and keeps the scheduler from handing it out again.
func (inv *Inventory) Update(scanned []inventory.Device) []inventory.Device {
	inUse := inv.devicesInUse()
	inv.mu.Lock()
	defer inv.mu.Unlock()
	next := make(map[string]inventory.Device, len(scanned)+len(inUse))
	for _, d := range scanned {
		next[d.Name] = d
	}
	for name := range inUse {
		if prev, ok := inv.byName[name]; ok {
			next[name] = prev
		}
	}
	inv.byName = next
	return sortedDevices(next)
}

func (inv *Inventory) devicesInUse() map[string]bool {
	inUse := map[string]bool{}
	for _, c := range inv.checkpoint.List() {
		for _, d := range c.Devices {
			inUse[d.Device] = true
		}
	}
	return inUse
}

func sortedDevices(byName map[string]inventory.Device) []inventory.Device {
	out := make([]inventory.Device, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, byName[name])
	}
	return out
}
