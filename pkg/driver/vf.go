package driver

import (
	"fmt"
	"strings"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/plan"
)

// parentMTU is the largest MTU the pod's interface may get. A VF's frames go out through
// its PF, so the PF's MTU bounds the VF's, whatever the VF's own is at prepare; for other
// devices it is the device's MTU, as before.
func parentMTU(host inventory.Device) int {
	if host.Kind == inventory.KindVF && host.PFMTU > 0 {
		return host.PFMTU
	}
	return host.MTU
}

// sriovSettingFields lists the sriov fields cfg sets that the PF applies to a VF
// (everything but sriov.driver, which rebinds the VF instead).
func sriovSettingFields(cfg *v1alpha1.NetworkConfig) []string {
	s := cfg.SRIOV
	if s == nil {
		return nil
	}
	var fields []string
	add := func(set bool, name string) {
		if set {
			fields = append(fields, "sriov."+name)
		}
	}
	add(s.SpoofCheck != nil, "spoofCheck")
	add(s.Trust != nil, "trust")
	add(s.MinTxRateMbps != nil, "minTxRateMbps")
	add(s.MaxTxRateMbps != nil, "maxTxRateMbps")
	add(s.LinkState != "", "linkState")
	return fields
}

// checkVFSettings refuses VF settings that the allocated device cannot take: on a NIC or
// PF there is no PF to set them on, and a VF whose PF has no netdev (or whose index is
// unknown) cannot be configured through netlink. Ignoring them would give the pod a
// device without the isolation or rate limits the config asked for.
func checkVFSettings(host inventory.Device, cfg *v1alpha1.NetworkConfig) error {
	fields := sriovSettingFields(cfg)
	if host.Kind != inventory.KindVF {
		if len(fields) == 0 {
			return nil
		}
		return fmt.Errorf("config %s set, but %s is a %s, not an SR-IOV VF: these are settings a PF makes for one of its VFs; "+
			"remove them from the DeviceClass or ResourceClaim config, or select VFs in the DeviceClass (attribute netclaim.dev/kind == \"vf\")",
			strings.Join(fields, ", "), describeDevice(host), host.Kind)
	}
	if cfg.VLAN != nil && interfaceMode(cfg) == v1alpha1.ModePassthrough {
		fields = append(fields, "vlan")
	}
	if len(fields) == 0 || (host.PFName != "" && host.VFIndex != nil) {
		return nil
	}
	return fmt.Errorf("config %s set, but VF %s has no PF network interface to set them on (PF %s); "+
		"bind the PF to its kernel network driver, or remove the settings",
		strings.Join(fields, ", "), describeDevice(host), host.PFPCIAddress)
}

// planVF records the settings the PF makes for a VF moved into the pod: the sriov
// settings, the hardware VLAN (vlan with passthrough) and, with interface.mac, the VF's
// administrative MAC, so that the PF's spoof checking enforces the MAC the pod got. Nil
// for other devices and for a VF with none of them. For a VF handed to vfio-pci prepare
// makes them (vfio_vf.go), since attach never sees such a device; otherwise attach does.
func planVF(dev pendingDevice) *plan.VFPlan {
	host, cfg := dev.host, dev.config
	if host.Kind != inventory.KindVF || host.PFName == "" || host.VFIndex == nil ||
		interfaceMode(cfg) != v1alpha1.ModePassthrough {
		return nil
	}
	s := vfSettings(cfg)
	if s == (plan.VFSettings{}) {
		return nil
	}
	return &plan.VFPlan{PFName: host.PFName, PFPCIAddress: host.PFPCIAddress, Index: *host.VFIndex, Settings: s}
}

func vfSettings(cfg *v1alpha1.NetworkConfig) plan.VFSettings {
	var s plan.VFSettings
	if cfg.Interface != nil {
		s.MAC = cfg.Interface.MAC
	}
	s.VLAN = planVLAN(cfg.VLAN)
	if sr := cfg.SRIOV; sr != nil {
		s.SpoofCheck = copyPtr(sr.SpoofCheck)
		s.Trust = copyPtr(sr.Trust)
		s.MinTxRateMbps = intPtr(sr.MinTxRateMbps)
		s.MaxTxRateMbps = intPtr(sr.MaxTxRateMbps)
		s.LinkState = string(sr.LinkState)
	}
	return s
}

func intPtr(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
