package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"k8s.io/klog/v2"
	drapb "k8s.io/kubelet/pkg/apis/dra/v1"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

const (
	// rescanInterval matches kubelet's plugin manager reconciler period: registrations
	// that failed are retried, and a missed filesystem event costs at most this long.
	rescanInterval = time.Second
	// registrationTimeout bounds each handshake call, like kubelet's plugin watcher.
	registrationTimeout = 10 * time.Second
)

// socketID tells a socket file from the one that replaced it at the same path (the plugin
// restarted): kubelet re-registers a plugin whose socket was recreated.
type socketID struct {
	inode   uint64
	modTime time.Time
}

// registeredDriver is a DRA driver kubelet would now call.
type registeredDriver struct {
	socket   string
	id       socketID
	endpoint string
	conn     *grpc.ClientConn
	client   drapb.DRAPluginClient
}

// pluginRegistry is kubelet's plugin watcher and DRA plugin manager in one: it watches the
// registration directory, runs the Registration handshake with every socket that appears
// and keeps a DRA client for each accepted driver.
type pluginRegistry struct {
	dir string
	// driverName is the only DRA driver this node agent serves.
	driverName string

	mu      sync.Mutex
	drivers map[string]*registeredDriver
	// handled sockets (registered or rejected) are not handshaken again until they are
	// replaced; a failed handshake is retried on the next scan.
	handled map[string]socketID
	// changed is closed and replaced whenever drivers changes, to wake waiters.
	changed chan struct{}
}

func newPluginRegistry(dir, driverName string) *pluginRegistry {
	return &pluginRegistry{
		dir:        dir,
		driverName: driverName,
		drivers:    map[string]*registeredDriver{},
		handled:    map[string]socketID{},
		changed:    make(chan struct{}),
	}
}

// run watches the directory until ctx ends, then closes all driver connections.
func (r *pluginRegistry) run(ctx context.Context) error {
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching plugin registration directory: %w", err)
	}
	defer watcher.Close()
	if err := watcher.Add(r.dir); err != nil {
		return fmt.Errorf("watching plugin registration directory %s: %w", r.dir, err)
	}
	defer r.closeAll(ctx)

	ticker := time.NewTicker(rescanInterval)
	defer ticker.Stop()
	for {
		r.reconcile(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-watcher.Events:
		case <-ticker.C:
		case err := <-watcher.Errors:
			klog.FromContext(ctx).Error(err, "Plugin registration directory watch failed; relying on rescans")
		}
	}
}

// reconcile makes the registered drivers match the sockets on disk: drivers whose socket
// vanished or was replaced are dropped, new sockets are registered.
func (r *pluginRegistry) reconcile(ctx context.Context) {
	logger := klog.FromContext(ctx)
	sockets, err := listSockets(r.dir)
	if err != nil {
		logger.Error(err, "Listing plugin registration sockets failed")
		return
	}
	r.dropStale(ctx, sockets)
	for path, id := range sockets {
		if r.isCurrent(path, id) {
			continue
		}
		drv, err := r.register(ctx, path, id)
		if err != nil {
			logger.Error(err, "Plugin registration failed", "socket", path)
			continue
		}
		r.add(ctx, drv)
	}
}

// isCurrent reports whether the socket at path was already handled in its current form.
func (r *pluginRegistry) isCurrent(path string, id socketID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	handled, ok := r.handled[path]
	return ok && handled == id
}

func (r *pluginRegistry) dropStale(ctx context.Context, sockets map[string]socketID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for path, id := range r.handled {
		if sockets[path] != id {
			delete(r.handled, path)
		}
	}
	for name, d := range r.drivers {
		if sockets[d.socket] == d.id {
			continue
		}
		klog.FromContext(ctx).Info("DRA driver deregistered: its registration socket is gone or was replaced", "driver", name, "socket", d.socket)
		r.removeLocked(ctx, name)
	}
}

func (r *pluginRegistry) add(ctx context.Context, drv *registeredDriver) {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := r.driverName
	if _, ok := r.drivers[name]; ok {
		r.removeLocked(ctx, name)
	}
	r.drivers[name] = drv
	r.handled[drv.socket] = drv.id
	r.notifyLocked()
	klog.FromContext(ctx).Info("DRA driver registered", "driver", name, "endpoint", drv.endpoint, "socket", drv.socket)
}

func (r *pluginRegistry) removeLocked(ctx context.Context, name string) {
	if err := r.drivers[name].conn.Close(); err != nil {
		klog.FromContext(ctx).Error(err, "Closing DRA driver connection failed", "driver", name)
	}
	delete(r.drivers, name)
	r.notifyLocked()
}

func (r *pluginRegistry) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *pluginRegistry) closeAll(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name := range r.drivers {
		r.removeLocked(ctx, name)
	}
}

// client returns the driver's DRA client, failing like kubelet when it is not registered.
func (r *pluginRegistry) client(driver string) (drapb.DRAPluginClient, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.drivers[driver]
	if !ok {
		return nil, fmt.Errorf("DRA driver %s is not registered", driver)
	}
	return d.client, nil
}

// waitForDriver blocks until the driver is registered or ctx ends.
func (r *pluginRegistry) waitForDriver(ctx context.Context, driver string) error {
	for {
		r.mu.Lock()
		_, ok := r.drivers[driver]
		changed := r.changed
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for DRA driver %s to register: %w", driver, context.Cause(ctx))
		case <-changed:
		}
	}
}

// register runs kubelet's side of the handshake: GetInfo, validate, then tell the plugin
// whether it was accepted. A rejected socket is remembered so it is not retried until the
// plugin recreates it.
func (r *pluginRegistry) register(ctx context.Context, socket string, id socketID) (*registeredDriver, error) {
	conn, err := dialUnix(socket)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	client := registerapi.NewRegistrationClient(conn)
	ctx, cancel := context.WithTimeout(ctx, registrationTimeout)
	defer cancel()

	info, err := client.GetInfo(ctx, &registerapi.InfoRequest{})
	if err != nil {
		return nil, fmt.Errorf("GetInfo on %s: %w", socket, err)
	}
	if err := r.validate(info); err != nil {
		r.mu.Lock()
		r.handled[socket] = id
		r.mu.Unlock()
		_, notifyErr := client.NotifyRegistrationStatus(ctx, &registerapi.RegistrationStatus{PluginRegistered: false, Error: err.Error()})
		return nil, errors.Join(fmt.Errorf("rejected plugin on %s: %w", socket, err), notifyErr)
	}
	draConn, err := dialUnix(info.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("DRA driver %s endpoint %s: %w", info.Name, info.Endpoint, err)
	}
	if _, err := client.NotifyRegistrationStatus(ctx, &registerapi.RegistrationStatus{PluginRegistered: true}); err != nil {
		return nil, errors.Join(fmt.Errorf("NotifyRegistrationStatus on %s: %w", socket, err), draConn.Close())
	}
	return &registeredDriver{socket: socket, id: id, endpoint: info.Endpoint, conn: draConn, client: drapb.NewDRAPluginClient(draConn)}, nil
}

// validate accepts what kubelet's DRA handler accepts, narrowed to the one driver this
// agent serves: a DRA plugin that offers the v1 DRAPlugin service.
func (r *pluginRegistry) validate(info *registerapi.PluginInfo) error {
	switch {
	case info.Type != registerapi.DRAPlugin:
		return fmt.Errorf("plugin type %q is not handled by this node agent (only %s)", info.Type, registerapi.DRAPlugin)
	case info.Name != r.driverName:
		return fmt.Errorf("DRA driver %q is not served by this node agent (only %s)", info.Name, r.driverName)
	case !slices.Contains(info.SupportedVersions, drapb.DRAPluginService):
		return fmt.Errorf("DRA driver %s offers services %v, this node agent needs %s", info.Name, info.SupportedVersions, drapb.DRAPluginService)
	case info.Endpoint == "":
		return fmt.Errorf("DRA driver %s gave no endpoint", info.Name)
	}
	return nil
}

// dialUnix creates a gRPC client for a unix socket; like kubelet's, it connects lazily
// and reconnects by itself when the plugin restarts on the same path. A relative path (a
// plugin started with relative directories reports its endpoint that way) is made
// absolute first: in a "unix://" target its first element would be read as an authority.
func dialUnix(path string) (*grpc.ClientConn, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolving socket path %s: %w", path, err)
	}
	conn, err := grpc.NewClient("unix://"+abs, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("creating gRPC client for %s: %w", path, err)
	}
	return conn, nil
}

// listSockets returns the unix sockets in dir. Like kubelet's plugin watcher it skips
// hidden files, which plugins use for atomic renames.
func listSockets(dir string) (map[string]socketID, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	sockets := map[string]socketID{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || e.Type()&os.ModeSocket == 0 {
			continue
		}
		path := filepath.Join(dir, e.Name())
		info, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			return nil, err
		}
		id := socketID{modTime: info.ModTime()}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			id.inode = st.Ino
		}
		sockets[path] = id
	}
	return sockets, nil
}
