package main

import (
	"context"
	"errors"
	"sync/atomic"

	"k8s.io/dynamic-resource-allocation/kubeletplugin"

	"github.com/netclaim/netclaim/pkg/driver"
	"github.com/netclaim/netclaim/pkg/plan"
)

// metadataSink connects the NRI hook to the kubelet plugin helper, which owns the KEP-5304
// metadata files. The helper starts after the NRI plugin is built (it needs the driver,
// which needs the NRI plugin to detach), so it is set once it exists.
type metadataSink struct {
	driver *driver.Driver
	helper atomic.Pointer[kubeletplugin.Helper]
}

func (m *metadataSink) UpdateMetadata(ctx context.Context, c plan.Claim) error {
	h := m.helper.Load()
	if h == nil {
		return errors.New("the kubelet plugin has not started yet")
	}
	return m.driver.UpdateMetadata(ctx, h, c)
}
