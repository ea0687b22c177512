// nodeagent stands in for kubelet and the container runtime on one simulated e2e node:
// it registers the DRA driver like kubelet, prepares claims over the DRA gRPC API, and
// drives the driver's NRI hooks like containerd, for the pods bound to its node.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/version"
	"github.com/netclaim/netclaim/test/e2e/nodeagent"
)

type options struct {
	node         string
	kubeconfig   string
	registrarDir string
	pluginsDir   string
	nriSocket    string
	netnsPrefix  string
	stateDir     string
}

func main() {
	var o options
	cmd := &cobra.Command{
		Use:           "nodeagent",
		Short:         "kubelet + container runtime stand-in for a simulated e2e node",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// SIGTERM stops the agent, not its pods: the state directory lets the next
			// agent resume them.
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			logger := klog.Background().WithName("nodeagent").WithValues("node", o.node)
			nodeagent.RouteNRILogs(logger)
			return run(klog.NewContext(ctx, logger), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.node, "node", "", "name of the Node whose pods this agent runs (required)")
	f.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file (env KUBECONFIG)")
	f.StringVar(&o.registrarDir, "registrar-dir", "", "kubelet plugin registration directory (plugins_registry) to watch (required)")
	f.StringVar(&o.pluginsDir, "plugins-dir", "", "kubelet plugins directory, where DRA drivers put their sockets (required)")
	f.StringVar(&o.nriSocket, "nri-socket", "", "NRI socket to listen on for plugins (required)")
	f.StringVar(&o.netnsPrefix, "netns-prefix", nodeagent.DefaultNetnsPrefix, "prefix of pod network namespace names (followed by the pod UID's first 13 characters)")
	f.StringVar(&o.stateDir, "state-dir", "", "directory for the record of pods, sandboxes and prepared claims (required)")
	for _, name := range []string{"node", "registrar-dir", "plugins-dir", "nri-socket", "state-dir"} {
		if err := cmd.MarkFlagRequired(name); err != nil {
			panic(err)
		}
	}
	klogFlags := flag.NewFlagSet("klog", flag.ExitOnError)
	klog.InitFlags(klogFlags)
	f.AddGoFlagSet(klogFlags)

	if err := cmd.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("loading kubeconfig %q: %w", o.kubeconfig, err)
	}
	cfg.UserAgent = "netclaim-e2e-nodeagent/" + o.node
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating Kubernetes client: %w", err)
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	defer broadcaster.Shutdown()
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	// Events come from "kubelet" on this host, as on a real node.
	recorder := broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: o.node})

	agent, err := nodeagent.New(nodeagent.Config{
		NodeName:     o.node,
		DriverName:   version.DriverName,
		Client:       client,
		Recorder:     recorder,
		RegistrarDir: o.registrarDir,
		PluginsDir:   o.pluginsDir,
		NRISocket:    o.nriSocket,
		NetnsPrefix:  o.netnsPrefix,
		StateDir:     o.stateDir,
	})
	if err != nil {
		return err
	}
	if err := agent.Run(ctx); err != nil {
		return err
	}
	klog.FromContext(ctx).Info("Node agent stopped; its pods keep running")
	return nil
}
