package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// controlPlane is an etcd and a kube-apiserver of its own, on free loopback ports, with
// all state in dir: a real API server for the plugin to publish to, sharing nothing with
// any other cluster on the machine.
type controlPlane struct {
	dir        string
	url        string
	token      string
	kubeconfig string
	client     kubernetes.Interface
}

// readyTimeout bounds waiting for a component to come up; it fails a hung start, it
// measures nothing.
const readyTimeout = 2 * time.Minute

func startControlPlane(tb testing.TB, binDir, dir string) *controlPlane {
	tb.Helper()
	for _, b := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			tb.Fatalf("-control-plane %q has no %s: %v (test/e2e/tools/build.sh builds it)", binDir, b, err)
		}
	}
	for _, d := range []string{"etcd", "certs", "pki"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	etcdPort, peerPort, apiPort := freePort(tb), freePort(tb), freePort(tb)
	cp := &controlPlane{dir: dir, url: fmt.Sprintf("https://127.0.0.1:%d", apiPort), token: randomHex(tb, 24)}
	writeServiceAccountKeys(tb, filepath.Join(dir, "pki"))
	writeFile(tb, filepath.Join(dir, "pki", "tokens.csv"), cp.token+",admin,admin-uid,system:masters\n")

	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	startProcess(tb, dir, nil, "etcd", filepath.Join(binDir, "etcd"),
		"--name", "bench", "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "bench="+peerURL, "--unsafe-no-fsync", "--log-level", "warn")
	// --endpoint-reconciler-type none: the default reconciler refuses a loopback
	// advertise address.
	startProcess(tb, dir, nil, "kube-apiserver", filepath.Join(binDir, "kube-apiserver"),
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", fmt.Sprint(apiPort),
		"--cert-dir", filepath.Join(dir, "certs"),
		"--token-auth-file", filepath.Join(dir, "pki", "tokens.csv"), "--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", filepath.Join(dir, "pki", "sa.pub"),
		"--service-account-signing-key-file", filepath.Join(dir, "pki", "sa.key"),
		"--service-cluster-ip-range", "10.96.0.0/24", "--endpoint-reconciler-type", "none",
		"--v", "1")
	cp.waitReady(tb)
	cp.kubeconfig = filepath.Join(dir, "kubeconfig")
	writeFile(tb, cp.kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: bench
  cluster: {server: %q, certificate-authority: %q}
users:
- name: admin
  user: {token: %q}
contexts:
- name: bench
  context: {cluster: bench, user: admin}
current-context: bench
`, cp.url, cp.caFile(), cp.token))
	return cp
}

func (cp *controlPlane) caFile() string { return filepath.Join(cp.dir, "certs", "apiserver.crt") }

// waitReady waits for the API server's self-signed certificate and then for /readyz.
func (cp *controlPlane) waitReady(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		if _, err := os.Stat(cp.caFile()); err != nil {
			lastErr = err
			continue
		}
		if cp.client == nil {
			client, err := kubernetes.NewForConfig(&rest.Config{Host: cp.url, BearerToken: cp.token,
				TLSClientConfig: rest.TLSClientConfig{CAFile: cp.caFile()}})
			if err != nil {
				tb.Fatalf("API client: %v", err)
			}
			cp.client = client
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := cp.client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		cancel()
		if err == nil {
			return
		}
		lastErr = err
	}
	tb.Fatalf("kube-apiserver not ready after %v: %v (logs in %s)", readyTimeout, lastErr, cp.dir)
}

func (cp *controlPlane) createNode(tb testing.TB, name string) {
	tb.Helper()
	_, err := cp.client.CoreV1().Nodes().Create(context.Background(), &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
	}, metav1.CreateOptions{})
	if err != nil {
		tb.Fatalf("creating Node %s: %v", name, err)
	}
}

// startProcess runs bin with args and the benchmark's environment plus env, output to
// dir/name.log and its pid in dir/name.pid; cleanup stops it with SIGTERM (SIGKILL after
// 20 s) and reports an exit before that.
func startProcess(tb testing.TB, dir string, env []string, name, bin string, args ...string) *exec.Cmd {
	tb.Helper()
	logFile, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		tb.Fatalf("starting %s: %v", name, err)
	}
	// run.sh stops what a killed benchmark left running by these pid files.
	writeFile(tb, filepath.Join(dir, name+".pid"), fmt.Sprint(cmd.Process.Pid))
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		defer logFile.Close()
		select {
		case err := <-exited:
			tb.Errorf("%s exited before the end of the benchmark: %v (log %s)", name, err, logFile.Name())
			return
		default:
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			tb.Errorf("stopping %s: %v", name, err)
		}
		select {
		case err := <-exited:
			var exit *exec.ExitError
			if err != nil && !(errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGTERM) {
				tb.Logf("%s stopped: %v", name, err)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			tb.Errorf("%s ignored SIGTERM for 20 s and was killed", name)
		}
	})
	return cmd
}

// freePort asks the kernel for a free loopback port. Another process could take it before
// the component binds it; the component then fails to start and the benchmark says so.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeServiceAccountKeys(tb testing.TB, dir string) {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	writeFile(tb, filepath.Join(dir, "sa.key"), string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})))
	writeFile(tb, filepath.Join(dir, "sa.pub"), string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})))
}

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// tail returns the last lines of a log file, for failure messages.
func tail(path string, lines int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}
