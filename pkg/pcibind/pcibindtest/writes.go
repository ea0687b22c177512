package pcibindtest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netclaim/netclaim/pkg/pcibind"
	"github.com/netclaim/netclaim/pkg/plan"
)

// Write is one attribute write, its path relative to the sysfs folder.
type Write struct{ Path, Value string }

// The writes of the binding sequences.

// Override is a write of the device's driver_override.
func Override(addr, v string) Write {
	return Write{"bus/pci/devices/" + addr + "/driver_override", v}
}

// Unbind releases the device from drv.
func Unbind(drv, addr string) Write {
	return Write{"bus/pci/drivers/" + drv + "/unbind", addr}
}

// Bind binds the device to drv by name.
func Bind(drv, addr string) Write { return Write{"bus/pci/drivers/" + drv + "/bind", addr} }

// Probe asks the kernel to match the device against its drivers.
func Probe(addr string) Write { return Write{"bus/pci/drivers_probe", addr} }

// Bindings of IGBVF as the tree shows them.
var (
	OnIGBVF = plan.Binding{Driver: "igbvf"}
	OnVFIO  = plan.Binding{Driver: pcibind.VFIOPCI, DriverOverride: pcibind.VFIOPCI}
)

// BindingReader reads a device's binding: pcibind.Binder, or an interface over it.
type BindingReader interface {
	Binding(addr string) (plan.Binding, error)
}

// RequireBinding fails unless b shows the device with binding want.
func RequireBinding(t testing.TB, b BindingReader, addr string, want plan.Binding) {
	t.Helper()
	got, err := b.Binding(addr)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("binding of %s (-want +got):\n%s", addr, diff)
	}
}
