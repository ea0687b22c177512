package manifests

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

const namespace = "kube-system"

// decodeAll reads every object of a multi-document YAML file strictly: an unknown or
// duplicated field, or a kind the API does not have, is an error, as it would be for
// `kubectl apply --validate=strict`.
func decodeAll(t *testing.T, path string) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run `make manifests`): %v", path, err)
	}
	strict := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		json.SerializerOptions{Yaml: true, Strict: true})
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objects []runtime.Object
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objects
		}
		if err != nil {
			t.Fatalf("%s: splitting documents: %v", path, err)
		}
		if isOnlyComments(doc) {
			continue
		}
		obj, gvk, err := strict.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: decoding document %d:\n%s\nerror: %v", path, len(objects)+1, doc, err)
		}
		if gvk.Version == "" || gvk.Kind == "" {
			t.Fatalf("%s: document %d has no apiVersion/kind", path, len(objects)+1)
		}
		objects = append(objects, obj)
	}
}

func isOnlyComments(doc []byte) bool {
	for line := range strings.SplitSeq(string(doc), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && line != "---" && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}

func kindAndName(obj runtime.Object) string {
	gvk, _, _ := scheme.Scheme.ObjectKinds(obj)
	meta := obj.(interface{ GetName() string })
	return gvk[0].Kind + "/" + meta.GetName()
}

func TestRenderedManifests_DecodeStrictlyAsTheExpectedObjects(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"netclaim.yaml", []string{
			"ClusterRole/netclaim", "ClusterRoleBinding/netclaim", "DaemonSet/netclaim",
			"DeviceClass/netclaim-dpdk-vf", "DeviceClass/netclaim-nic", "DeviceClass/netclaim-rdma-vf", "DeviceClass/netclaim-sriov-vf",
			"ServiceAccount/netclaim",
			"ValidatingAdmissionPolicy/netclaim-resourceslices-own-node", "ValidatingAdmissionPolicyBinding/netclaim-resourceslices-own-node",
		}},
		{"rbac.yaml", []string{
			"ClusterRole/netclaim", "ClusterRoleBinding/netclaim", "ServiceAccount/netclaim",
			"ValidatingAdmissionPolicy/netclaim-resourceslices-own-node", "ValidatingAdmissionPolicyBinding/netclaim-resourceslices-own-node",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var got []string
			for _, obj := range decodeAll(t, tt.file) {
				got = append(got, kindAndName(obj))
				if ns := obj.(interface{ GetNamespace() string }).GetNamespace(); ns != "" && ns != namespace {
					t.Errorf("%s is in namespace %q, want %q", kindAndName(obj), ns, namespace)
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("objects in %s (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

// The identity objects the e2e cluster applies from rbac.yaml must be the ones a chart
// install creates, not a drifted copy.
func TestRBACManifest_IsTheChartsIdentityObjects(t *testing.T) {
	full := map[string]runtime.Object{}
	for _, obj := range decodeAll(t, "netclaim.yaml") {
		full[kindAndName(obj)] = obj
	}
	for _, obj := range decodeAll(t, "rbac.yaml") {
		if diff := cmp.Diff(full[kindAndName(obj)], obj); diff != "" {
			t.Errorf("%s differs between rbac.yaml and netclaim.yaml (-netclaim +rbac):\n%s", kindAndName(obj), diff)
		}
	}
}

func onlyObject[T runtime.Object](t *testing.T, file string) T {
	t.Helper()
	var found []T
	for _, obj := range decodeAll(t, file) {
		if o, ok := obj.(T); ok {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("%s: %d objects of type %T, want 1", file, len(found), zero)
	}
	return found[0]
}

// pluginFlags reads the flag names cmd/netclaim-plugin registers (a main package cannot
// be imported), plus klog's -v.
func pluginFlags(t *testing.T) map[string]bool {
	t.Helper()
	src, err := os.ReadFile("../../cmd/netclaim-plugin/main.go")
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]bool{"v": true}
	for _, m := range regexp.MustCompile(`f\.\w+Var\(&[\w.]+, "([a-z-]+)"`).FindAllStringSubmatch(string(src), -1) {
		flags[m[1]] = true
	}
	if len(flags) < 5 {
		t.Fatalf("found only %v in cmd/netclaim-plugin/main.go: the pattern no longer matches how flags are registered", flags)
	}
	return flags
}

func TestDaemonSet_ArgsAreFlagsThePluginHas(t *testing.T) {
	ds := onlyObject[*appsv1.DaemonSet](t, "netclaim.yaml")
	known := pluginFlags(t)
	args := ds.Spec.Template.Spec.Containers[0].Args
	if len(args) == 0 {
		t.Fatal("the plugin container has no args")
	}
	for _, arg := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !known[name] {
			t.Errorf("DaemonSet arg %q: cmd/netclaim-plugin has no flag %q", arg, name)
		}
	}
	if !slices.Contains(args, "--node-name=$(NODE_NAME)") {
		t.Errorf("args %q do not pass --node-name=$(NODE_NAME)", args)
	}
}

func TestDaemonSet_RunsOnePrivilegedPluginPerNodeInTheHostNetns(t *testing.T) {
	ds := onlyObject[*appsv1.DaemonSet](t, "netclaim.yaml")
	pod := ds.Spec.Template.Spec
	c := pod.Containers[0]
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType || ru == nil ||
		ru.MaxSurge == nil || ru.MaxSurge.IntValue() != 0 || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 1 {
		t.Errorf("update strategy = %+v, want RollingUpdate maxUnavailable 1 maxSurge 0 (two plugins must not share the checkpoint)", ds.Spec.UpdateStrategy)
	}
	if !pod.HostNetwork || pod.HostPID {
		t.Errorf("hostNetwork %v hostPID %v, want the host netns and not its PID namespace", pod.HostNetwork, pod.HostPID)
	}
	if pod.PriorityClassName != "system-node-critical" {
		t.Errorf("priorityClassName %q, want system-node-critical", pod.PriorityClassName)
	}
	if c.SecurityContext == nil || c.SecurityContext.Privileged == nil || !*c.SecurityContext.Privileged {
		t.Errorf("container securityContext %+v, want privileged", c.SecurityContext)
	}
	if len(c.Env) == 0 || c.Env[0].Name != "NODE_NAME" || c.Env[0].ValueFrom == nil ||
		c.Env[0].ValueFrom.FieldRef == nil || c.Env[0].ValueFrom.FieldRef.FieldPath != "spec.nodeName" {
		t.Errorf("env %+v, want NODE_NAME from spec.nodeName", c.Env)
	}

	hostPaths := map[string]string{}
	for _, v := range pod.Volumes {
		if v.HostPath != nil {
			hostPaths[v.Name] = v.HostPath.Path
		}
	}
	type mount struct {
		HostPath, MountPath string
		ReadOnly            bool
		Propagation         corev1.MountPropagationMode
	}
	got := map[string]mount{}
	for _, m := range c.VolumeMounts {
		if hp, ok := hostPaths[m.Name]; ok {
			mm := mount{HostPath: hp, MountPath: m.MountPath, ReadOnly: m.ReadOnly}
			if m.MountPropagation != nil {
				mm.Propagation = *m.MountPropagation
			}
			got[m.Name] = mm
		}
	}
	want := map[string]mount{
		"kubelet-plugins":          {HostPath: "/var/lib/kubelet/plugins", MountPath: "/var/lib/kubelet/plugins"},
		"kubelet-plugins-registry": {HostPath: "/var/lib/kubelet/plugins_registry", MountPath: "/var/lib/kubelet/plugins_registry"},
		"nri":                      {HostPath: "/var/run/nri", MountPath: "/var/run/nri"},
		"cdi":                      {HostPath: "/var/run/cdi", MountPath: "/var/run/cdi"},
		"state":                    {HostPath: "/var/lib/netclaim", MountPath: "/var/lib/netclaim"},
		"sys":                      {HostPath: "/sys", MountPath: "/sys"},
		"netns-0":                  {HostPath: "/var/run/netns", MountPath: "/var/run/netns", Propagation: corev1.MountPropagationHostToContainer},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("host mounts (-want +got):\n%s", diff)
	}
}

func TestClusterRole_GrantsOnlyWhatThePluginUses(t *testing.T) {
	role := onlyObject[*rbacv1.ClusterRole](t, "netclaim.yaml")
	want := []rbacv1.PolicyRule{
		{APIGroups: []string{"resource.k8s.io"}, Resources: []string{"resourceslices"}, Verbs: []string{"get", "list", "watch", "create", "update", "delete"}},
		{APIGroups: []string{"resource.k8s.io"}, Resources: []string{"resourceclaims"}, Verbs: []string{"get"}},
		{APIGroups: []string{"resource.k8s.io"}, Resources: []string{"resourceclaims/status"}, Verbs: []string{"update"}},
		{APIGroups: []string{"resource.k8s.io"}, Resources: []string{"resourceclaims/driver"}, ResourceNames: []string{"netclaim.dev"}, Verbs: []string{"associated-node:update"}},
		{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
	}
	if diff := cmp.Diff(want, role.Rules); diff != "" {
		t.Errorf("ClusterRole rules (-want +got):\n%s", diff)
	}
	binding := onlyObject[*rbacv1.ClusterRoleBinding](t, "netclaim.yaml")
	wantSubjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "netclaim", Namespace: namespace}}
	if diff := cmp.Diff(wantSubjects, binding.Subjects); diff != "" || binding.RoleRef.Name != role.Name {
		t.Errorf("ClusterRoleBinding subjects (-want +got):\n%s\nroleRef %q, want %q", diff, binding.RoleRef.Name, role.Name)
	}
}

func TestResourceSlicePolicy_BindsToThePluginsServiceAccount(t *testing.T) {
	policy := onlyObject[*admissionv1.ValidatingAdmissionPolicy](t, "netclaim.yaml")
	binding := onlyObject[*admissionv1.ValidatingAdmissionPolicyBinding](t, "netclaim.yaml")
	if binding.Spec.PolicyName != policy.Name || !slices.Equal(binding.Spec.ValidationActions, []admissionv1.ValidationAction{admissionv1.Deny}) {
		t.Errorf("binding %s -> policy %q actions %v, want policy %q with Deny", binding.Name, binding.Spec.PolicyName, binding.Spec.ValidationActions, policy.Name)
	}
	want := `request.userInfo.username == "system:serviceaccount:kube-system:netclaim"`
	if len(policy.Spec.MatchConditions) != 1 || policy.Spec.MatchConditions[0].Expression != want {
		t.Errorf("match conditions %+v, want exactly %s", policy.Spec.MatchConditions, want)
	}
	if policy.Spec.FailurePolicy == nil || *policy.Spec.FailurePolicy != admissionv1.Fail {
		t.Errorf("failurePolicy %v, want Fail", policy.Spec.FailurePolicy)
	}
}

func deviceClasses(t *testing.T) map[string]*resourceapi.DeviceClass {
	t.Helper()
	classes := map[string]*resourceapi.DeviceClass{}
	for _, obj := range decodeAll(t, "netclaim.yaml") {
		if dc, ok := obj.(*resourceapi.DeviceClass); ok {
			classes[dc.Name] = dc
		}
	}
	return classes
}
