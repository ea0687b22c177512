package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
	metadatav1beta1 "k8s.io/dynamic-resource-allocation/api/metadata/v1beta1"
	"k8s.io/dynamic-resource-allocation/kubeletplugin"
	"k8s.io/klog/v2"

	"github.com/netclaim/netclaim/pkg/checkpoint"
	"github.com/netclaim/netclaim/pkg/claimstatus"
	"github.com/netclaim/netclaim/pkg/driver"
	"github.com/netclaim/netclaim/pkg/inventory"
	"github.com/netclaim/netclaim/pkg/netdev"
	"github.com/netclaim/netclaim/pkg/nri"
	"github.com/netclaim/netclaim/pkg/pcibind"
	"github.com/netclaim/netclaim/pkg/publish"
	"github.com/netclaim/netclaim/pkg/version"
)

func run(ctx context.Context, o options) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	logger := klog.FromContext(ctx)
	if o.nodeName == "" {
		return errors.New("--node-name (or NODE_NAME) is required")
	}
	client, err := kubeClient(o.kubeconfig)
	if err != nil {
		return err
	}
	lock, err := checkpoint.LockStateDir(ctx, o.stateDir)
	if err != nil {
		return err
	}
	defer lock.Close()
	store, err := checkpoint.Open(filepath.Join(o.stateDir, "checkpoint.json"))
	if err != nil {
		return err
	}
	host, err := netdev.OpenHost()
	if err != nil {
		return fmt.Errorf("opening the host network namespace: %w", err)
	}
	defer host.Close()

	devices := inventory.NewView(store.DevicesInUse)
	pub := publish.NewPublisher(o.nodeName, inventory.Options{HostRoot: o.hostRoot, Exclude: o.exclude}, devices)
	if _, err := pub.Rescan(ctx); err != nil {
		return err
	}

	status := claimstatus.NewWriter(client, version.DriverName)
	metadata := &metadataSink{}
	nriConfig := nri.Config{SocketPath: o.nriSocket, PluginIndex: o.nriIndex, Checkpoint: store, Host: host, Status: status}
	if o.deviceMetadata {
		nriConfig.Metadata = metadata
	}
	attacher := nri.New(nriConfig)
	drv, err := driver.New(driver.Config{
		DriverName: version.DriverName,
		NodeName:   o.nodeName,
		Checkpoint: store,
		CDIDir:     o.cdiDir,
		Devices:    devices.Lookup,
		Attributes: pub.DeviceAttributes,
		Detacher:   attacher,
		Netdevs:    host,
		Recorder:   eventRecorder(ctx, client),
		HostRoot:   o.hostRoot,
		PCI:        pcibind.New(o.hostRoot),
		OnFatalError: func(err error) {
			cancel(fmt.Errorf("fatal kubelet plugin error: %w", err))
		},
	})
	if err != nil {
		return err
	}
	// kubelet creates <plugins>/<driver> for the plugins it knows; a first start or a
	// simulated node has none, and the DRA socket cannot be bound without it.
	pluginDataDir := filepath.Join(o.pluginDir, version.DriverName)
	if err := os.MkdirAll(pluginDataDir, 0o750); err != nil {
		return fmt.Errorf("creating the kubelet plugin directory: %w", err)
	}
	helper, err := kubeletplugin.Start(ctx, drv,
		kubeletplugin.DriverName(version.DriverName),
		kubeletplugin.NodeName(o.nodeName),
		kubeletplugin.KubeClient(client),
		kubeletplugin.RegistrarDirectoryPath(o.registrarDir),
		kubeletplugin.PluginDataDirectoryPath(pluginDataDir),
		kubeletplugin.CDIDirectory(o.cdiDir),
		// The metadata file format is versioned; v1beta1 is the newest kubelet 1.37 knows.
		kubeletplugin.EnableDeviceMetadata(o.deviceMetadata, []schema.GroupVersion{metadatav1beta1.SchemeGroupVersion}),
	)
	if err != nil {
		return fmt.Errorf("starting the kubelet plugin: %w", err)
	}
	defer helper.Stop()
	metadata.driver = drv
	metadata.helper.Store(helper)
	logger.Info("Started", "version", version.Version, "node", o.nodeName, "hostRoot", o.hostRoot)

	var wg sync.WaitGroup
	if o.healthAddress != "" {
		ready := kubeletRegistration(helper.RegistrationStatus)
		wg.Go(func() {
			if err := serveHealth(ctx, o.healthAddress, ready); err != nil {
				cancel(err)
			}
		})
	}
	wg.Go(func() { status.Run(ctx, 2) })
	wg.Go(func() { pub.Run(ctx, helper, o.rescanInterval) })
	wg.Go(func() {
		if err := attacher.Run(ctx); err != nil {
			logger.Error(err, "NRI plugin stopped")
		}
	})
	<-ctx.Done()
	logger.Info("Shutting down", "cause", context.Cause(ctx))
	wg.Wait()
	if err := context.Cause(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// eventRecorder sends events (failed prepares, naming the bad field) to the API server.
func eventRecorder(ctx context.Context, client kubernetes.Interface) record.EventRecorder {
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	return broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "netclaim-plugin"})
}

func kubeClient(kubeconfig string) (kubernetes.Interface, error) {
	var cfg *rest.Config
	var err error
	if kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	} else {
		cfg, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("loading Kubernetes client config: %w", err)
	}
	cfg.UserAgent = "netclaim-plugin/" + version.Version
	return kubernetes.NewForConfig(cfg)
}
