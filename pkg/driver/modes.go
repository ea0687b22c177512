package driver

import (
	"fmt"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/plan"
)

// interfaceMode is the config's mode with the default filled in.
func interfaceMode(cfg *v1alpha1.NetworkConfig) v1alpha1.InterfaceMode {
	if cfg.Interface == nil || cfg.Interface.Mode == "" {
		return v1alpha1.ModePassthrough
	}
	return cfg.Interface.Mode
}

// checkModeSuitsDevice refuses interface modes and VLAN settings the allocated device
// cannot carry. The API validates a config without knowing the device; only here is its
// kind known, and a VLAN means different things on different kinds: on a NIC or PF an
// 802.1Q sub-interface (interface.mode vlan), on a VF a tag the PF inserts in hardware.
func checkModeSuitsDevice(host inventory.Device, cfg *v1alpha1.NetworkConfig) error {
	mode := interfaceMode(cfg)
	switch {
	case mode == v1alpha1.ModeVLAN && host.Kind == inventory.KindVF:
		return fmt.Errorf("interface.mode vlan is not supported on a VF (%s): an 802.1Q sub-interface needs its parent on the host, "+
			"but a VF moves into the pod; omit interface.mode and keep vlan, so that the PF tags the VF's traffic in hardware, "+
			"or select a NIC or PF in the DeviceClass", describeDevice(host))
	case mode == v1alpha1.ModePassthrough && cfg.VLAN != nil && host.Kind != inventory.KindVF:
		return fmt.Errorf("vlan is set but interface.mode is passthrough: the whole %s %s would move into the pod untagged; "+
			"set interface.mode: vlan to give the pod an 802.1Q sub-interface of it, or remove vlan",
			host.Kind, describeDevice(host))
	}
	// vlan on a VF in passthrough mode is the hardware VLAN its PF sets: one of the VF
	// settings, which checkVFSettings (vf.go) checks and planVF records.
	return nil
}

func describeDevice(host inventory.Device) string {
	switch {
	case host.IfName != "" && host.PCIAddress != "":
		return fmt.Sprintf("%s (%s)", host.IfName, host.PCIAddress)
	case host.IfName != "":
		return host.IfName
	default:
		return host.PCIAddress
	}
}

// planSubInterface fills the plan's mode and VLAN: only mode vlan creates a sub-interface.
// A VF's hardware VLAN is not a sub-interface and is not recorded here.
func planSubInterface(d *plan.Device, cfg *v1alpha1.NetworkConfig) {
	if interfaceMode(cfg) != v1alpha1.ModeVLAN || cfg.VLAN == nil || cfg.VLAN.ID == nil {
		return
	}
	d.Mode = plan.ModeVLAN
	d.VLAN = planVLAN(cfg.VLAN)
}

// planVLAN is the VLAN of a validated config with its defaults filled in (QoS 0,
// 802.1Q), for a sub-interface or a VF's hardware VLAN alike; nil without an ID.
func planVLAN(v *v1alpha1.VLANConfig) *plan.VLAN {
	if v == nil || v.ID == nil {
		return nil
	}
	out := &plan.VLAN{ID: int(*v.ID), Protocol: string(v1alpha1.VLANProtocol8021Q)}
	if v.QoS != nil {
		out.QoS = int(*v.QoS)
	}
	if v.Protocol != "" {
		out.Protocol = string(v.Protocol)
	}
	return out
}

// planVRFAndRules copies the VRF and the policy-routing rules into the plan.
func planVRFAndRules(d *plan.Device, cfg *v1alpha1.NetworkConfig) {
	if cfg.VRF != nil && cfg.VRF.Table != nil {
		d.VRF = &plan.VRF{Name: cfg.VRF.Name, Table: int(*cfg.VRF.Table)}
	}
	for _, r := range cfg.Rules {
		pr := plan.Rule{From: r.From, To: r.To}
		if r.Priority != nil {
			p := int(*r.Priority)
			pr.Priority = &p
		}
		if r.Table != nil {
			pr.Table = int(*r.Table)
		}
		d.Rules = append(d.Rules, pr)
	}
}
