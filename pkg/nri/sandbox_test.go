package nri

import (
	"strings"
	"testing"

	nriapi "github.com/containerd/nri/pkg/api"
)

func TestNetnsPath_FindsPodNetnsOrRefusesHostNetwork(t *testing.T) {
	withNamespaces := func(ns ...*nriapi.LinuxNamespace) *nriapi.PodSandbox {
		return &nriapi.PodSandbox{Name: "web", Namespace: "shop", Linux: &nriapi.LinuxPodSandbox{Namespaces: ns}}
	}
	for _, tc := range []struct {
		name string
		pod  *nriapi.PodSandbox
		want string
		// wantErr is empty when a path is expected.
		wantErr []string
	}{
		{
			name: "network namespace among others",
			pod: withNamespaces(&nriapi.LinuxNamespace{Type: "ipc"},
				&nriapi.LinuxNamespace{Type: "network", Path: "/var/run/netns/cni-1"},
				&nriapi.LinuxNamespace{Type: "uts"}),
			want: "/var/run/netns/cni-1",
		},
		{
			name:    "no network namespace: hostNetwork",
			pod:     withNamespaces(&nriapi.LinuxNamespace{Type: "ipc"}, &nriapi.LinuxNamespace{Type: "uts"}),
			wantErr: []string{"shop/web", "hostNetwork: true", "remove hostNetwork or the claim"},
		},
		{
			name:    "network namespace without a path",
			pod:     withNamespaces(&nriapi.LinuxNamespace{Type: "network"}),
			wantErr: []string{"shop/web", "hostNetwork"},
		},
		{
			name:    "no linux section",
			pod:     &nriapi.PodSandbox{Name: "web", Namespace: "shop"},
			wantErr: []string{"shop/web", "hostNetwork"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := netnsPath(tc.pod)
			if len(tc.wantErr) == 0 {
				if err != nil || got != tc.want {
					t.Fatalf("netnsPath = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("netnsPath = %q, want an error", got)
			}
			for _, part := range tc.wantErr {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
		})
	}
}
