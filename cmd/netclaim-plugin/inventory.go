package main

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"k8s.io/dynamic-resource-allocation/resourceslice"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/driver"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/publish"
)

// publisher rediscovers devices and turns them into ResourceSlices.
type publisher struct {
	hostRoot  string
	nodeName  string
	inventory *driver.Inventory

	mu        sync.Mutex
	resources resourceslice.DriverResources
}

// rescan rediscovers devices; it reports whether the resources to publish changed.
func (p *publisher) rescan(ctx context.Context) (bool, error) {
	scanned, err := inventory.Discover(ctx, inventory.Options{HostRoot: p.hostRoot})
	if err != nil {
		return false, err
	}
	res, err := publish.Resources(p.nodeName, p.inventory.Update(scanned), p.hostRoot)
	if err != nil {
		return false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	changed := !equality.Semantic.DeepEqual(p.resources, res)
	p.resources = res
	return changed, nil
}

func (p *publisher) current() resourceslice.DriverResources {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resources
}

// loop publishes the first scan, then rescans and republishes only on change, so an idle
// node causes no API writes.
func (p *publisher) loop(ctx context.Context, helper *kubeletplugin.Helper, every time.Duration) {
	logger := klog.FromContext(ctx)
	if err := helper.PublishResources(ctx, p.current()); err != nil {
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
		changed, err := p.rescan(ctx)
		if err != nil {
			logger.Error(err, "Rescanning devices failed; keeping the last published inventory")
			continue
		}
		if !changed {
			continue
		}
		logger.Info("Devices changed, republishing")
		if err := helper.PublishResources(ctx, p.current()); err != nil {
			logger.Error(err, "Publishing ResourceSlices failed")
		}
	}
}
