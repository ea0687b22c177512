package main

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"k8s.io/dynamic-resource-allocation/resourceslice"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/publish"
)

// nodeInventory holds the latest scan: prepare looks devices up in it, the publish loop
// turns it into ResourceSlices.
type nodeInventory struct {
	hostRoot string
	nodeName string

	mu        sync.RWMutex
	byName    map[string]inventory.Device
	resources resourceslice.DriverResources
}

func newInventory(hostRoot, nodeName string) *nodeInventory {
	return &nodeInventory{hostRoot: hostRoot, nodeName: nodeName}
}

func (n *nodeInventory) lookup(name string) (inventory.Device, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	d, ok := n.byName[name]
	return d, ok
}

// rescan rediscovers devices; it reports whether the resources to publish changed.
func (n *nodeInventory) rescan(ctx context.Context) (bool, error) {
	devs, err := inventory.Discover(ctx, inventory.Options{HostRoot: n.hostRoot})
	if err != nil {
		return false, err
	}
	res, err := publish.Resources(n.nodeName, devs, n.hostRoot)
	if err != nil {
		return false, err
	}
	byName := make(map[string]inventory.Device, len(devs))
	for _, d := range devs {
		byName[d.Name] = d
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	changed := !equality.Semantic.DeepEqual(n.resources, res)
	n.byName, n.resources = byName, res
	return changed, nil
}

func (n *nodeInventory) snapshot() resourceslice.DriverResources {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.resources
}

// publishLoop publishes the first scan, then rescans and republishes only on change, so an
// idle node causes no API writes.
func (n *nodeInventory) publishLoop(ctx context.Context, helper *kubeletplugin.Helper, every time.Duration) {
	logger := klog.FromContext(ctx)
	if err := helper.PublishResources(ctx, n.snapshot()); err != nil {
		logger.Error(err, "Publishing ResourceSlices failed")
	}
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		changed, err := n.rescan(ctx)
		if err != nil {
			logger.Error(err, "Rescanning devices failed; keeping the last published inventory")
			continue
		}
		if !changed {
			continue
		}
		logger.Info("Devices changed, republishing")
		if err := helper.PublishResources(ctx, n.snapshot()); err != nil {
			logger.Error(err, "Publishing ResourceSlices failed")
		}
	}
}
