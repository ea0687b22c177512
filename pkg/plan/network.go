package plan

// HardwareAddr is the MAC device i carries in the pod: the one the plan sets, or else the
// device's own as snapshotted at attach. Empty while the claim is not attached and the plan
// keeps the device's MAC.
func (c Claim) HardwareAddr(i int) string {
	if mac := c.Devices[i].Target.HardwareAddr; mac != "" {
		return mac
	}
	if c.Attachment != nil && i < len(c.Attachment.Originals) {
		return c.Attachment.Originals[i].HardwareAddr
	}
	return ""
}
