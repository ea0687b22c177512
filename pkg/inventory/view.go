package inventory

import (
	"maps"
	"slices"
	"sync"
)

// View is the node's device list as prepare and publishing see it. A device handed to a
// pod leaves the host's view: its netdev moves into the pod's netns (a VF loses its
// ifName, MAC and link facts; a veth or macvlan stand-in vanishes entirely). Rediscovery
// must not turn that into a changed or withdrawn device while a claim holds it, so every
// device in use keeps the description it had before it was taken.
type View struct {
	// inUse names the devices claims hold now (the plugin asks its checkpoint).
	inUse func() map[string]bool

	mu     sync.RWMutex
	byName map[string]Device
}

// NewView returns an empty View; inUse names the devices claims hold at the time of a call.
func NewView(inUse func() map[string]bool) *View {
	return &View{inUse: inUse, byName: map[string]Device{}}
}

// Lookup returns the device published under name.
func (v *View) Lookup(name string) (Device, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	d, ok := v.byName[name]
	return d, ok
}

// Update replaces the scan and returns the devices to publish, sorted by name: the scanned
// devices, with those in use by a claim kept as they were described before. A device in
// use that this process never saw (it restarted while the device was in a pod) is not
// made up from partial facts: it stays unpublished until it comes home, which leaves its
// allocation intact and keeps the scheduler from handing it out again.
func (v *View) Update(scanned []Device) []Device {
	inUse := v.inUse()
	v.mu.Lock()
	defer v.mu.Unlock()
	next := make(map[string]Device, len(scanned)+len(inUse))
	for _, d := range scanned {
		next[d.Name] = d
	}
	for name := range inUse {
		if prev, ok := v.byName[name]; ok {
			next[name] = prev
		}
	}
	v.byName = next
	return sortedDevices(next)
}

func sortedDevices(byName map[string]Device) []Device {
	out := make([]Device, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, byName[name])
	}
	return out
}
