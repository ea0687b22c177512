package main

import (
	"context"
	"reflect"
	"sync"
	"time"

	resourceapi "k8s.io/api/resource/v1"
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
	exclude   inventory.Exclusion
	inventory *driver.Inventory

	mu sync.Mutex
	// devices are what resources were built from.
	devices    []inventory.Device
	resources  resourceslice.DriverResources
	attributes map[string]map[resourceapi.QualifiedName]resourceapi.DeviceAttribute
}

// rescan rediscovers devices; it reports whether the resources to publish changed.
func (p *publisher) rescan(ctx context.Context) (bool, error) {
	scanned, err := inventory.Discover(ctx, inventory.Options{HostRoot: p.hostRoot, Exclude: p.exclude})
	if err != nil {
		return false, err
	}
	devices := p.inventory.Update(scanned)
	p.mu.Lock()
	defer p.mu.Unlock()
	// Most rescans find the node as it was: comparing the device list is far cheaper than
	// building ~20 attributes a device (deviceattribute compiles a regexp per PCI device)
	// and comparing the result.
	if p.devices != nil && reflect.DeepEqual(p.devices, devices) {
		return false, nil
	}
	res, err := publish.Resources(p.nodeName, devices, p.hostRoot)
	if err != nil {
		return false, err
	}
	p.devices = devices
	changed := !equality.Semantic.DeepEqual(p.resources, res)
	p.resources = res
	if changed {
		p.attributes = attributesByDevice(res)
	}
	return changed, nil
}

// deviceAttributes returns the attributes published for a device, for its metadata file.
func (p *publisher) deviceAttributes(device string) map[resourceapi.QualifiedName]resourceapi.DeviceAttribute {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attributes[device]
}

func attributesByDevice(res resourceslice.DriverResources) map[string]map[resourceapi.QualifiedName]resourceapi.DeviceAttribute {
	byName := map[string]map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{}
	for _, pool := range res.Pools {
		for _, slice := range pool.Slices {
			for _, d := range slice.Devices {
				byName[d.Name] = d.Attributes
			}
		}
	}
	return byName
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
