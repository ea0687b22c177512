package driver

// deviceOwners maps pool/device to the claim (namespace/name) it is prepared for. The
// scheduler never hands one exclusive device to two claims, but the plugin is the last
// line of defense: moving a netdev that is in another pod would break that pod.
type deviceOwners map[string]string

func deviceKey(pool, device string) string { return pool + "/" + device }

// preparedDeviceOwners indexes the devices of every claim in the checkpoint.
func (d *Driver) preparedDeviceOwners() deviceOwners {
	owners := deviceOwners{}
	for _, c := range d.cfg.Checkpoint.List() {
		for _, dev := range c.Devices {
			owners[deviceKey(dev.Pool, dev.Device)] = c.Namespace + "/" + c.Name
		}
	}
	return owners
}

func (o deviceOwners) owner(pool, device string) (string, bool) {
	owner, ok := o[deviceKey(pool, device)]
	return owner, ok
}

// claim records the devices of a claim decided earlier in the same call.
func (o deviceOwners) claim(p *pendingClaim) {
	for _, dev := range p.devices {
		o[deviceKey(dev.result.Pool, dev.result.Device)] = p.claim.Namespace + "/" + p.claim.Name
	}
}
