package inventory

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/jaypipes/ghw"
)

// pciClassNetwork is the PCI base class of network controllers (Ethernet 0x0200,
// InfiniBand 0x0207, other 0x0280).
const pciClassNetwork = "02"

// pciFunction is a network-class PCI function with the SR-IOV, NUMA and RDMA facts ghw does
// not report, read from its sysfs folder.
type pciFunction struct {
	address    string
	vendor     string
	deviceID   string
	subclass   string
	driver     string
	iommuGroup string
	numaNode   *int
	// physfn is the PF's address when this function is a VF.
	physfn string
	// sriovTotalVFs and sriovNumVFs are set when the function is SR-IOV capable.
	sriovTotalVFs *int
	sriovNumVFs   *int
	// vfIndexes maps each enabled VF's address to its virtfnN index (PFs only).
	vfIndexes   map[string]int
	rdmaDevices []string
	rdmaVerbs   []string
}

// kind classifies the function; publish is false for a PF whose VFs are enabled, because
// the VFs are handed out and the PF stays with the host to manage them.
func (f *pciFunction) kind() (kind Kind, publish bool) {
	switch {
	case f.physfn != "":
		return KindVF, true
	case f.sriovTotalVFs != nil && *f.sriovTotalVFs > 0:
		return KindPF, f.sriovNumVFs == nil || *f.sriovNumVFs == 0
	default:
		return KindNIC, true
	}
}

// networkFunctions reads every network-class PCI function ghw found, keyed by address.
func networkFunctions(sysDir string, devices []*ghw.PCIDevice) (map[string]*pciFunction, error) {
	functions := make(map[string]*pciFunction)
	for _, d := range devices {
		if d.Class == nil || d.Class.ID != pciClassNetwork {
			continue
		}
		f, err := readPCIFunction(sysDir, d)
		if err != nil {
			return nil, fmt.Errorf("PCI function %s: %w", d.Address, err)
		}
		functions[f.address] = f
	}
	return functions, nil
}

func readPCIFunction(sysDir string, d *ghw.PCIDevice) (*pciFunction, error) {
	f := &pciFunction{
		address:    d.Address,
		driver:     d.Driver,
		iommuGroup: d.IOMMUGroup,
	}
	// ghw takes the IDs from modalias, already as 4 lowercase hex digits.
	if d.Vendor != nil {
		f.vendor = d.Vendor.ID
	}
	if d.Product != nil {
		f.deviceID = d.Product.ID
	}
	if d.Subclass != nil {
		f.subclass = d.Subclass.ID
	}
	dir := filepath.Join(sysDir, "bus/pci/devices", d.Address)
	var err error
	if f.physfn, err = LinkBase(filepath.Join(dir, "physfn")); err != nil {
		return nil, fmt.Errorf("reading physfn: %w", err)
	}
	// A VF has no SR-IOV capability of its own: only a PF is worth the sriov_* reads.
	if f.physfn == "" {
		if err := f.readSRIOV(dir); err != nil {
			return nil, err
		}
	}
	numaNode, ok, err := readOptionalInt(filepath.Join(dir, "numa_node"))
	if err != nil {
		return nil, fmt.Errorf("reading numa_node: %w", err)
	}
	f.numaNode = nonNegative(numaNode, ok)
	if f.rdmaDevices, err = dirNames(filepath.Join(dir, "infiniband")); err != nil {
		return nil, fmt.Errorf("listing infiniband: %w", err)
	}
	if f.rdmaVerbs, err = dirNames(filepath.Join(dir, "infiniband_verbs")); err != nil {
		return nil, fmt.Errorf("listing infiniband_verbs: %w", err)
	}
	return f, nil
}

// readSRIOV reads a PF's SR-IOV capability and the index of each enabled VF (virtfnN).
func (f *pciFunction) readSRIOV(dir string) error {
	total, ok, err := readOptionalInt(filepath.Join(dir, "sriov_totalvfs"))
	if err != nil || !ok {
		return wrapRead("sriov_totalvfs", err)
	}
	f.sriovTotalVFs = &total
	numVFs, ok, err := readOptionalInt(filepath.Join(dir, "sriov_numvfs"))
	if err != nil || !ok {
		return wrapRead("sriov_numvfs", err)
	}
	f.sriovNumVFs = &numVFs
	f.vfIndexes = make(map[string]int, numVFs)
	for i := range numVFs {
		link := "virtfn" + strconv.Itoa(i)
		vf, err := LinkBase(filepath.Join(dir, link))
		if err != nil {
			return wrapRead(link, err)
		}
		if vf != "" { // VFs being disabled right now
			f.vfIndexes[vf] = i
		}
	}
	return nil
}

func wrapRead(attribute string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("reading %s: %w", attribute, err)
}
