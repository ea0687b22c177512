// netclaim-plugin is the node daemon: it publishes the node's network devices as
// ResourceSlices, prepares claims for kubelet, and attaches devices to pods from the
// container runtime's NRI hooks.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/version"
)

// options are the daemon's flags; defaults match a kubelet and containerd installed in
// their standard locations.
type options struct {
	nodeName       string
	hostRoot       string
	kubeconfig     string
	registrarDir   string
	pluginDir      string
	stateDir       string
	cdiDir         string
	nriSocket      string
	nriIndex       string
	rescanInterval time.Duration
	exclude        []string
	deviceMetadata bool
	healthAddress  string
}

func main() {
	opts := options{}
	cmd := &cobra.Command{
		Use:           "netclaim-plugin",
		Short:         "netclaim DRA driver node daemon (" + version.DriverName + ")",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			ctx = klog.NewContext(ctx, klog.Background().WithName("netclaim"))
			return run(ctx, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.nodeName, "node-name", os.Getenv("NODE_NAME"), "name of this node (env NODE_NAME)")
	f.StringVar(&opts.hostRoot, "host-root", "/", "read devices from DIR/sys and DIR/proc/net/route instead of the live host")
	f.StringVar(&opts.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file; empty means in-cluster config")
	f.StringVar(&opts.registrarDir, "kubelet-registrar-dir", "/var/lib/kubelet/plugins_registry", "kubelet plugin registration directory")
	f.StringVar(&opts.pluginDir, "kubelet-plugins-dir", "/var/lib/kubelet/plugins", "kubelet plugins directory; the DRA socket goes in DIR/"+version.DriverName)
	f.StringVar(&opts.stateDir, "state-dir", "/var/lib/netclaim", "directory for the checkpoint of prepared and attached claims")
	f.StringVar(&opts.cdiDir, "cdi-dir", "/var/run/cdi", "directory for CDI specs")
	f.StringVar(&opts.nriSocket, "nri-socket", "/var/run/nri/nri.sock", "container runtime NRI socket")
	f.StringVar(&opts.nriIndex, "nri-index", "10", "NRI plugin index (ordering among NRI plugins)")
	f.DurationVar(&opts.rescanInterval, "rescan-interval", 30*time.Second, "how often devices are rediscovered")
	f.StringSliceVar(&opts.exclude, "exclude-devices", nil,
		"never publish devices matching these shell patterns (device name, interface name or PCI address; a PF's also excludes its VFs)")
	f.BoolVar(&opts.deviceMetadata, "device-metadata", true,
		"write KEP-5304 device metadata files (attributes, interface name, IPs, MAC) that containers can read")
	f.StringVar(&opts.healthAddress, "health-address", "127.0.0.1:51515",
		"serve /healthz and /readyz (ready once kubelet registered the plugin) on this address; empty disables")
	klogFlags := flag.NewFlagSet("klog", flag.ExitOnError)
	klog.InitFlags(klogFlags)
	f.AddGoFlagSet(klogFlags)

	if err := cmd.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
