package pcibind_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	pt "github.com/netclaim/netclaim/pkg/pcibind/pcibindtest"
	"github.com/netclaim/netclaim/test/netnstest"
)

func TestBinder_FindsTheNetdevOfADeviceBoundBack(t *testing.T) {
	k := pt.NewKernel(t, igbTree(t))
	b := k.Binder()
	ctx := context.Background()
	if got, err := b.Netdevs(treeVF); err != nil || !cmp.Equal(got, []string{"ens1f0v0"}) {
		t.Fatalf("Netdevs(%s) = %v, %v; want [ens1f0v0]", treeVF, got, err)
	}
	if got, err := b.Netdevs(treeVFIOVF); err != nil || len(got) != 0 {
		t.Fatalf("Netdevs of a VF on vfio-pci = %v, %v; want none", got, err)
	}
	if got := b.DescribePF(treeVF); got != ", a VF of PF ens1f0 ("+treePF+")" {
		t.Errorf("DescribePF(%s) = %q", treeVF, got)
	}
	if got := b.DescribePF(treePF); got != "" {
		t.Errorf("DescribePF of a PF = %q, want none", got)
	}

	if err := b.Bind(treeVF, vfioPCI); err != nil {
		t.Fatal(err)
	}
	k.WithholdNetdev = true
	if err := b.Restore(treeVF, onIGBVF); err != nil {
		t.Fatal(err)
	}
	_, err := b.WaitNetdev(ctx, treeVF, "igbvf")
	netnstest.RequireErrorContains(t, err, "PCI device "+treeVF+" is back on igbvf but has no netdev", "unprepare will retry")

	k.CreateNetdev(treeVF)
	if got, err := b.WaitNetdev(ctx, treeVF, "igbvf"); err != nil || got != "ens1f0v0" {
		t.Errorf("WaitNetdev = %q, %v; want ens1f0v0", got, err)
	}
}
