package fakesys

import (
	"fmt"
	"path"
)

// The files the kernel gives PCI devices and drivers for changing a binding. A plain file
// tree cannot react to writes the way sysfs does; they exist so that code writing them
// against a synthetic host finds them, and tests can read back what was written last.
var pciDriverAttributes = []string{"bind", "unbind", "new_id", "remove_id"}

// bindingFiles writes a function's driver_override (unset, as the kernel shows it) and
// the binding files of its driver.
func (w *treeWriter) bindingFiles(f *function) {
	w.sysFile(path.Join(f.dir, "driver_override"), "(null)")
	if f.driver != "" {
		w.pciDriver(f.driver)
	}
}

func (w *treeWriter) pciDriver(name string) {
	for _, attr := range pciDriverAttributes {
		w.sysFile(path.Join("bus/pci/drivers", name, attr), "")
	}
}

// hostBindingFiles writes bus/pci/drivers_probe and the drivers loaded without devices.
func (w *treeWriter) hostBindingFiles(drivers []string) {
	w.sysFile("bus/pci/drivers_probe", "")
	for _, d := range drivers {
		w.pciDriver(d)
	}
}

// verbsDevice gives an RDMA device its userspace verbs device, numbered across the host
// (uverbs0, uverbs1, ...) with the kernel's char device numbers (major 231, minor 192+N),
// and the RDMA connection manager's misc device with the first one (rdma_ucm loaded).
func (w *treeWriter) verbsDevice(f *function, rdma string) {
	if w.uverbs == 0 {
		w.sysFile("devices/virtual/misc/rdma_cm/dev", "10:58")
		w.sysLink("class/misc/rdma_cm", "devices/virtual/misc/rdma_cm")
	}
	name := fmt.Sprintf("uverbs%d", w.uverbs)
	dir := path.Join(f.dir, "infiniband_verbs", name)
	w.sysFile(path.Join(dir, "ibdev"), rdma)
	w.sysFile(path.Join(dir, "dev"), fmt.Sprintf("231:%d", 192+w.uverbs))
	w.sysLink(path.Join("class/infiniband_verbs", name), dir)
	w.uverbs++
}
