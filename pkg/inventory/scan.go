package inventory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/go-logr/logr"
	"github.com/jaypipes/ghw"
	"k8s.io/klog/v2"
)

// scan reads the network-class PCI functions and the interfaces of a host in two
// independent pipelines run concurrently (ghw.PCI then the functions' sysfs folders; the
// interfaces' folders): on a node with a thousand VFs each walks a thousand folders, and
// system calls are what a scan spends its time on.
func scan(ctx context.Context, hostRoot string, live bool) (map[string]*pciFunction, []*netdev, error) {
	opts := ghwOptions(ctx, hostRoot)
	sysDir := filepath.Join(hostRoot, "sys")
	var (
		functions      map[string]*pciFunction
		netdevs        []*netdev
		pciErr, netErr error
		wg             sync.WaitGroup
	)
	wg.Go(func() {
		var devices []*ghw.PCIDevice
		if pciErr = withPCIIDs(hostRoot, func() error {
			info, err := ghw.PCI(opts...)
			if err == nil {
				devices = info.Devices
			}
			return err
		}); pciErr != nil {
			pciErr = fmt.Errorf("listing PCI devices under %s with ghw: %w", hostRoot, pciErr)
			return
		}
		if pciErr = checkGHWSawPCI(hostRoot, len(devices)); pciErr != nil {
			return
		}
		functions, pciErr = networkFunctions(sysDir, devices)
	})
	wg.Go(func() {
		netdevs, netErr = readNetdevs(sysDir, !live)
	})
	wg.Wait()
	if err := errors.Join(pciErr, netErr); err != nil {
		return nil, nil, err
	}
	return functions, netdevs, nil
}

// ghwOptions: no topology (it would walk every CPU and memory node; numa_node is read per
// device instead), no tools (ghw must never exec ethtool), and ghw's warnings go to our
// logger.
func ghwOptions(ctx context.Context, hostRoot string) []any {
	// logr maps a slog level L to V(bias-L): with bias 8, ghw's warnings (slog 4) land
	// at V(4) and its info messages at V(8), out of the way of normal operation.
	logger := slog.New(logr.ToSlogHandler(klog.FromContext(ctx).WithName("ghw").V(8)))
	opts := []any{ghw.WithDisableTopology(), ghw.WithDisableTools(), ghw.WithLogger(logger)}
	if hostRoot != "/" {
		opts = append(opts, ghw.WithChroot(hostRoot))
	}
	return opts
}

// checkGHWSawPCI turns ghw's silent failure into an error: when any entry of
// bus/pci/devices lacks a valid modalias, ghw.PCI returns no devices at all and only logs
// a warning, which would make every PCI NIC vanish from the node's ResourceSlices.
func checkGHWSawPCI(hostRoot string, seen int) error {
	if seen > 0 {
		return nil
	}
	dir := filepath.Join(hostRoot, "sys/bus/pci/devices")
	names, err := dirNames(dir)
	if err != nil {
		return fmt.Errorf("listing %s: %w", dir, err)
	}
	if len(names) > 0 {
		return fmt.Errorf("ghw found no PCI devices although %s lists %d; one of them lacks a valid modalias file", dir, len(names))
	}
	return nil
}
