package publish

import (
	"context"
	"reflect"
	"sync"
	"time"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/dynamic-resource-allocation/resourceslice"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/inventory"
)

// Sink takes the resources to publish: kubeletplugin.Helper, which hands them to the
// resourceslice controller.
type Sink interface {
	PublishResources(ctx context.Context, resources resourceslice.DriverResources) error
}

// Publisher rediscovers the node's devices and turns them into the node's pool.
type Publisher struct {
	nodeName  string
	discovery inventory.Options
	view      *inventory.View

	mu sync.Mutex
	// devices are what resources were built from.
	devices    []inventory.Device
	resources  resourceslice.DriverResources
	attributes map[string]map[resourceapi.QualifiedName]resourceapi.DeviceAttribute
}

// NewPublisher publishes the devices discovery finds, as view keeps them, in a pool named
// after nodeName. It publishes nothing before the first Rescan.
func NewPublisher(nodeName string, discovery inventory.Options, view *inventory.View) *Publisher {
	return &Publisher{nodeName: nodeName, discovery: discovery, view: view}
}

// Rescan rediscovers devices; it reports whether the resources to publish changed.
func (p *Publisher) Rescan(ctx context.Context) (bool, error) {
	scanned, err := inventory.Discover(ctx, p.discovery)
	if err != nil {
		return false, err
	}
	devices := p.view.Update(scanned)
	p.mu.Lock()
	defer p.mu.Unlock()
	// Most rescans find the node as it was: comparing the device list is far cheaper than
	// building ~20 attributes a device (deviceattribute compiles a regexp per PCI device)
	// and comparing the result.
	if p.devices != nil && reflect.DeepEqual(p.devices, devices) {
		return false, nil
	}
	res, err := Resources(p.nodeName, devices, p.discovery.HostRoot)
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

// Resources returns what the last Rescan built.
func (p *Publisher) Resources() resourceslice.DriverResources {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resources
}

// DeviceAttributes returns the attributes published for a device, for its metadata file.
func (p *Publisher) DeviceAttributes(device string) map[resourceapi.QualifiedName]resourceapi.DeviceAttribute {
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

// Run publishes the last scan, then rescans every interval and republishes only on
// change, so an idle node causes no API writes. It returns when ctx ends.
func (p *Publisher) Run(ctx context.Context, sink Sink, every time.Duration) {
	logger := klog.FromContext(ctx)
	if err := sink.PublishResources(ctx, p.Resources()); err != nil {
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
		changed, err := p.Rescan(ctx)
		if err != nil {
			logger.Error(err, "Rescanning devices failed; keeping the last published inventory")
			continue
		}
		if !changed {
			continue
		}
		logger.Info("Devices changed, republishing")
		if err := sink.PublishResources(ctx, p.Resources()); err != nil {
			logger.Error(err, "Publishing ResourceSlices failed")
		}
	}
}
