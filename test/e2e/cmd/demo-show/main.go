// demo-show prints, for each pod of the netclaim demo on the local e2e cluster, the node
// it runs on, the devices its claims were allocated (with their published attributes and
// the driver's status.devices report) and the interfaces as the kernel sees them inside
// the pod's network namespace (name, MTU, MAC, addresses, routes), read with netlink.
//
//	demo-show [--namespace default] [--selector app.kubernetes.io/part-of=netclaim-demo]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

type options struct {
	kubeconfig string
	namespace  string
	selector   string
}

func main() {
	var o options
	cmd := &cobra.Command{
		Use:           "demo-show",
		Short:         "show where the demo's pods run, which devices they got and their interfaces",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the local e2e cluster (env KUBECONFIG)")
	f.StringVarP(&o.namespace, "namespace", "n", "default", "namespace of the pods")
	f.StringVarP(&o.selector, "selector", "l", "app.kubernetes.io/part-of=netclaim-demo", "label selector of the pods")
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
	cfg.UserAgent = "netclaim-demo-show"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating Kubernetes client: %w", err)
	}
	pods, err := client.CoreV1().Pods(o.namespace).List(ctx, metav1.ListOptions{LabelSelector: o.selector})
	if err != nil {
		return fmt.Errorf("listing pods %q in %s: %w", o.selector, o.namespace, err)
	}
	if len(pods.Items) == 0 {
		return fmt.Errorf("no pods match %q in namespace %s: apply demo/pods.yaml first", o.selector, o.namespace)
	}
	devices, err := publishedDevices(ctx, client)
	if err != nil {
		return err
	}
	for i := range pods.Items {
		view, err := describePod(ctx, client, devices, &pods.Items[i])
		if err != nil {
			return err
		}
		view.print(os.Stdout)
	}
	return nil
}
