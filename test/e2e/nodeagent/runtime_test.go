package nodeagent

import (
	"testing"

	nriapi "github.com/containerd/nri/pkg/api"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"k8s.io/apimachinery/pkg/types"
)

func TestExistingSandboxes_DescribesSandboxesAsContainerdDoes(t *testing.T) {
	rec := func(name, id string, phase sandboxPhase, hostNetwork bool) podRecord {
		r := podRecord{UID: types.UID("uid-" + name), Namespace: testNamespace, Name: name}
		r.Sandbox = &sandboxRecord{ID: id, Phase: phase, HostNetwork: hostNetwork, Labels: map[string]string{"app": name}}
		if !hostNetwork {
			r.Sandbox.NetnsPath = "/var/run/netns/nc-pod-" + name
		}
		return r
	}
	recs := []podRecord{
		rec("ready", "sb-ready", sandboxReady, false),
		rec("stopped", "sb-stopped", sandboxStopped, false),
		rec("creating", "sb-creating", sandboxCreating, false),
		rec("host", "sb-host", sandboxReady, true),
		{UID: "uid-prepared-only", Namespace: testNamespace, Name: "prepared-only"},
	}
	sandbox := func(r podRecord, nsPath *string) *nriapi.PodSandbox {
		sb := &nriapi.PodSandbox{Id: r.Sandbox.ID, Name: r.Name, Uid: string(r.UID), Namespace: r.Namespace,
			Labels: r.Sandbox.Labels, Linux: &nriapi.LinuxPodSandbox{}}
		if nsPath != nil {
			sb.Linux.Namespaces = []*nriapi.LinuxNamespace{{Type: "network", Path: *nsPath}}
		}
		return sb
	}
	readyPath, empty := recs[0].Sandbox.NetnsPath, ""
	want := []*nriapi.PodSandbox{
		sandbox(recs[0], &readyPath), // a ready sandbox reports its netns
		sandbox(recs[1], &empty),     // a stopped one an empty path
		sandbox(recs[3], nil),        // hostNetwork: no network namespace entry
	}
	if diff := cmp.Diff(want, existingSandboxes(recs), protocmp.Transform()); diff != "" {
		t.Errorf("sandboxes sent on plugin sync (-want +got):\n%s", diff)
	}
}
