package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	resourceapi "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/netclaim/netclaim/api/netclaim.dev/v1alpha1"
	"github.com/netclaim/netclaim/pkg/version"
)

func newValidateCommand() *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "validate -f FILE [-f FILE ...]",
		Short: "Check NetworkConfigs, DeviceClasses, ResourceClaims and Pods offline",
		Long: `Check netclaim.dev configs the way the driver does at prepare, without a cluster.

Each FILE ('-' for standard input) holds YAML or JSON documents separated by '---':
NetworkConfigs, and resource.k8s.io/v1 DeviceClasses, ResourceClaims and
ResourceClaimTemplates, and v1 Pods (or a List of them). Every opaque config whose driver is
netclaim.dev is decoded strictly and validated on its own; configs of other drivers are
skipped. Each request of a claim is then validated with the config the driver would merge
for it (class first, then claim) when its DeviceClass is given in the same run, or with
the claim's configs alone otherwise, and the interface names all requests of the claim
would get in the pod (after defaults) must be unique; for a Pod, across all its claims
and templates given in the same run. These are the driver's own checks (v1alpha1's
Validate and Validate(Pod)ClaimInterfaces), so they refuse what prepare refuses with the
same messages; only what needs the device (its MTU, kind, PF and driver) is left to the
driver.

Exits with an error when any document or config is invalid.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return errors.New("no input: name a file with -f FILE (or -f - for standard input)")
			}
			return validateFiles(cmd.OutOrStdout(), cmd.InOrStdin(), files)
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil,
		"YAML or JSON file to check, '-' for standard input; repeat to check classes and claims together")
	return cmd
}

// validateFiles reads every document of files, reports each config on out, and returns an
// error when any is invalid. A file that cannot be read stops the run.
func validateFiles(out io.Writer, stdin io.Reader, files []string) error {
	v := &configValidator{out: out, classes: map[string]classConfigs{}}
	for _, name := range files {
		docs, err := readDocuments(name, stdin)
		if err != nil {
			return err
		}
		for i, doc := range docs {
			v.checkDocument(fmt.Sprintf("%s document %d", name, i+1), doc)
		}
	}
	v.checkMergedClaims()
	v.checkPods()
	return v.result()
}

// readDocuments splits a file into its YAML documents ('---' lines); JSON is one document.
func readDocuments(name string, stdin io.Reader) ([][]byte, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("reading configs: %w", err)
		}
		defer f.Close()
		r = f
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		docs = append(docs, doc)
	}
	return docs, nil
}

// classConfigs are a DeviceClass's netclaim configs, kept to merge with the claims that
// use the class.
type classConfigs struct {
	label   string
	configs []*v1alpha1.NetworkConfig
	valid   bool
}

// claimConfig is one netclaim config of a claim with the requests it applies to.
type claimConfig struct {
	requests []string
	config   *v1alpha1.NetworkConfig
}

// claimConfigs are a claim's (or template's) netclaim configs and what its requests ask for.
type claimConfigs struct {
	label string
	// id names the claim in messages about its interfaces, as the driver does:
	// namespace/name, or name when the file gives no namespace.
	id string
	// kind and meta find the claim from a Pod's resourceClaims.
	kind     string
	meta     metav1.ObjectMeta
	requests []requestClass
	configs  []claimConfig
	valid    bool
	// merged are the requests with their merged configs and nameErrs the interface-name
	// clashes among them, both set by checkMergedClaims.
	merged   []v1alpha1.ClaimRequest
	nameErrs []v1alpha1.RequestError
}

// requestClass is a request, or a subrequest as "request/subrequest", its DeviceClass
// and how many devices it gets (1 when the count is not known before allocation).
type requestClass struct {
	name, parent, class string
	count               int
}

type configValidator struct {
	out      io.Writer
	classes  map[string]classConfigs
	claims   []claimConfigs
	pods     []podClaims
	checked  int
	problems int
}

// checkDocument dispatches one document on its kind. ref locates the document ("FILE
// document 2") for messages about documents that have no kind and name.
func (v *configValidator) checkDocument(ref string, doc []byte) {
	data, err := toJSON(doc)
	if err != nil {
		v.reportError(describeBrokenDocument(ref, doc), err)
		return
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return // empty or comment-only document
	}
	var tm metav1.TypeMeta
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &tm); err != nil {
		v.reportError(ref, fmt.Errorf("not a Kubernetes-style object: %w", err))
		return
	}
	switch {
	case tm.Kind == v1alpha1.KindNetworkConfig:
		v.checkNetworkConfig(ref, data)
	case tm.Kind == "List" && tm.APIVersion == "v1":
		v.checkList(ref, data)
	case tm.Kind == "Pod" && tm.APIVersion == "v1":
		v.readPod(ref, data)
	case tm.Kind == "DeviceClass" || tm.Kind == "ResourceClaim" || tm.Kind == "ResourceClaimTemplate":
		if want := resourceapi.SchemeGroupVersion.String(); tm.APIVersion != want {
			v.reportError(ref, fmt.Errorf("%s has apiVersion %q: netclaimctl reads %s only", tm.Kind, tm.APIVersion, want))
			return
		}
		v.checkResourceObject(ref, tm.Kind, data)
	default:
		v.reportError(ref, fmt.Errorf("kind %q (apiVersion %q) is not one netclaimctl validates: "+
			"give NetworkConfig, DeviceClass, ResourceClaim, ResourceClaimTemplate, Pod or a List of them", tm.Kind, tm.APIVersion))
	}
}

// toJSON keeps JSON as it is and converts YAML, refusing duplicate keys. JSON skips the
// YAML parser, which refuses raw control characters that JSON strings may hold.
func toJSON(doc []byte) ([]byte, error) {
	if utilyaml.IsJSONBuffer(doc) {
		return doc, nil
	}
	return yaml.YAMLToJSONStrict(doc)
}

// describeBrokenDocument names a document that failed strict conversion (a duplicate
// key, say) by its kind and name when a lenient read can still find them.
func describeBrokenDocument(ref string, doc []byte) string {
	var obj struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &obj); err != nil || obj.Kind == "" || obj.Metadata.Name == "" {
		return ref
	}
	return fmt.Sprintf("%s/%s (%s)", obj.Kind, obj.Metadata.Name, ref)
}

func (v *configValidator) checkList(ref string, data []byte) {
	var list struct {
		Items []runtime.RawExtension `json:"items"`
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &list); err != nil {
		v.reportError(ref, fmt.Errorf("decoding List: %w", err))
		return
	}
	for i, item := range list.Items {
		v.checkDocument(fmt.Sprintf("%s items[%d]", ref, i), item.Raw)
	}
}

// checkNetworkConfig checks a bare NetworkConfig as a complete, merged config.
func (v *configValidator) checkNetworkConfig(ref string, data []byte) {
	label := fmt.Sprintf("%s (%s)", v1alpha1.KindNetworkConfig, ref)
	cfg, err := v1alpha1.Decode(data)
	if err != nil {
		v.reportError(label, err)
		return
	}
	v.reportConfig(label, cfg.Validate(v1alpha1.ValidationContext{}))
}

// checkResourceObject decodes a resource.k8s.io/v1 object and checks its configs. The
// object itself is decoded leniently (the API server is its judge); our opaque payload
// is decoded strictly by v1alpha1.Decode.
func (v *configValidator) checkResourceObject(ref, kind string, data []byte) {
	var err error
	switch kind {
	case "DeviceClass":
		var dc resourceapi.DeviceClass
		if err = sigsjson.UnmarshalCaseSensitivePreserveInts(data, &dc); err == nil {
			v.checkDeviceClass(objectLabel(kind, dc.Name, ref), &dc)
		}
	case "ResourceClaim":
		var rc resourceapi.ResourceClaim
		if err = sigsjson.UnmarshalCaseSensitivePreserveInts(data, &rc); err == nil {
			v.checkClaimSpec(kind, rc.ObjectMeta, objectLabel(kind, rc.Name, ref), &rc.Spec)
		}
	case "ResourceClaimTemplate":
		var rct resourceapi.ResourceClaimTemplate
		if err = sigsjson.UnmarshalCaseSensitivePreserveInts(data, &rct); err == nil {
			v.checkClaimSpec(kind, rct.ObjectMeta, objectLabel(kind, rct.Name, ref), &rct.Spec.Spec)
		}
	}
	if err != nil {
		v.reportError(ref, fmt.Errorf("decoding %s: %w", kind, err))
	}
}

func objectLabel(kind, name, ref string) string {
	if name == "" {
		return fmt.Sprintf("%s (%s, no metadata.name)", kind, ref)
	}
	return kind + "/" + name
}

// claimID names a claim (or template) as the driver names claims: namespace/name.
func claimID(meta metav1.ObjectMeta) string {
	if meta.Namespace == "" {
		return meta.Name
	}
	return meta.Namespace + "/" + meta.Name
}

func (v *configValidator) checkDeviceClass(label string, dc *resourceapi.DeviceClass) {
	class := classConfigs{label: label, valid: true}
	for i, c := range dc.Spec.Config {
		cfg, ok := v.checkOpaque(fmt.Sprintf("%s config[%d]", label, i), c.Opaque)
		class.valid = class.valid && ok
		if cfg != nil {
			class.configs = append(class.configs, cfg)
		}
	}
	v.classes[dc.Name] = class
}

func (v *configValidator) checkClaimSpec(kind string, meta metav1.ObjectMeta, label string, spec *resourceapi.ResourceClaimSpec) {
	claim := claimConfigs{label: label, id: claimID(meta), kind: kind, meta: meta, valid: true, requests: requestClasses(spec.Devices.Requests)}
	for i, c := range spec.Devices.Config {
		cfg, ok := v.checkOpaque(fmt.Sprintf("%s config[%d] (requests: %s)", label, i, requestList(c.Requests)), c.Opaque)
		claim.valid = claim.valid && ok
		if cfg != nil {
			claim.configs = append(claim.configs, claimConfig{requests: c.Requests, config: cfg})
		}
	}
	v.claims = append(v.claims, claim)
}

func requestList(requests []string) string {
	if len(requests) == 0 {
		return "all"
	}
	return strings.Join(requests, ", ")
}

// requestClasses lists the DeviceClass of every request and subrequest.
func requestClasses(requests []resourceapi.DeviceRequest) []requestClass {
	var out []requestClass
	for _, r := range requests {
		if r.Exactly != nil {
			out = append(out, requestClass{name: r.Name, class: r.Exactly.DeviceClassName,
				count: deviceCount(r.Exactly.AllocationMode, r.Exactly.Count)})
		}
		for _, sub := range r.FirstAvailable {
			out = append(out, requestClass{name: r.Name + "/" + sub.Name, parent: r.Name, class: sub.DeviceClassName,
				count: deviceCount(sub.AllocationMode, sub.Count)})
		}
	}
	return out
}

// deviceCount is how many devices a request gets: its count in ExactCount mode (the
// default, with count 1 when omitted); with All only the node knows, so 1.
func deviceCount(mode resourceapi.DeviceAllocationMode, count int64) int {
	if mode == resourceapi.DeviceAllocationModeAll || count < 1 {
		return 1
	}
	return int(count)
}

// checkOpaque checks one opaque config as a layer of a merge. It returns the decoded
// config (nil when skipped or undecodable) and whether the config is valid.
func (v *configValidator) checkOpaque(label string, opaque *resourceapi.OpaqueDeviceConfiguration) (*v1alpha1.NetworkConfig, bool) {
	if opaque == nil {
		fmt.Fprintf(v.out, "SKIP %s: no opaque parameters\n", label)
		return nil, true
	}
	if opaque.Driver != version.DriverName {
		fmt.Fprintf(v.out, "SKIP %s: opaque driver %q is not %s\n", label, opaque.Driver, version.DriverName)
		return nil, true
	}
	cfg, err := v1alpha1.Decode(opaque.Parameters.Raw)
	if err != nil {
		v.reportError(label, err)
		return nil, false
	}
	return cfg, v.reportConfig(label, cfg.Validate(v1alpha1.ValidationContext{Partial: true}))
}

// checkMergedClaims validates every request of every claim with the config the driver
// would merge for it, then the interface names of all its requests. The checks that
// relate fields of two layers (a class's gateway, a claim's addresses) only run there.
// Claims with a layer already reported invalid are skipped, so each problem is reported
// once.
func (v *configValidator) checkMergedClaims() {
	for i, claim := range v.claims {
		if !claim.valid {
			continue
		}
		var requests []v1alpha1.ClaimRequest
		for _, req := range claim.requests {
			requests = append(requests, v1alpha1.ClaimRequest{Name: req.name, Count: req.count, Config: v.checkRequest(claim, req)})
		}
		v.claims[i].merged = requests
		v.claims[i].nameErrs = v1alpha1.ValidateClaimInterfaces(claim.id, requests)
		for _, e := range v.claims[i].nameErrs {
			v.problems++
			fmt.Fprintf(v.out, "%s request %s: %s\n", claim.label, e.Request, oneLine(e.Err.Error()))
		}
	}
}

// checkRequest validates the config of one request: merged with its DeviceClass's when
// that was given, else the claim's configs alone, whose fields the class cannot override
// (WithoutClass). It returns the merged config, nil when no config applies.
func (v *configValidator) checkRequest(claim claimConfigs, req requestClass) *v1alpha1.NetworkConfig {
	claimLayers := claim.configsFor(req)
	class, found := v.classes[req.class]
	switch {
	case found && class.valid && len(class.configs)+len(claimLayers) > 0:
		merged := v1alpha1.Merge(slices.Concat(class.configs, claimLayers)...)
		label := fmt.Sprintf("%s request %s merged with %s", claim.label, req.name, class.label)
		v.reportConfig(label, merged.Validate(v1alpha1.ValidationContext{}))
		return merged
	case len(claimLayers) == 0:
		return nil
	case found:
		// The class is invalid and reported: its layers cannot be merged, but the claim's
		// still name the interfaces.
		return v1alpha1.Merge(claimLayers...)
	}
	fmt.Fprintf(v.out, "NOTE %s request %s: DeviceClass/%s was not given; add it with -f to check the merged config\n",
		claim.label, req.name, req.class)
	merged := v1alpha1.Merge(claimLayers...)
	label := fmt.Sprintf("%s request %s without its DeviceClass", claim.label, req.name)
	v.reportConfig(label, merged.Validate(v1alpha1.ValidationContext{WithoutClass: true}))
	return merged
}

// configsFor returns the claim's configs that apply to the request, in order: those
// without requests, and those naming the request (or, for a subrequest, its parent).
func (c claimConfigs) configsFor(req requestClass) []*v1alpha1.NetworkConfig {
	var out []*v1alpha1.NetworkConfig
	for _, cc := range c.configs {
		if len(cc.requests) == 0 || slices.Contains(cc.requests, req.name) ||
			(req.parent != "" && slices.Contains(cc.requests, req.parent)) {
			out = append(out, cc.config)
		}
	}
	return out
}

// reportConfig prints OK or each error of one checked config and says whether it is valid.
func (v *configValidator) reportConfig(label string, errs field.ErrorList) bool {
	v.checked++
	if len(errs) == 0 {
		fmt.Fprintf(v.out, "OK %s\n", label)
		return true
	}
	v.problems++
	for _, e := range errs {
		fmt.Fprintf(v.out, "%s: %s\n", label, oneLine(e.Error()))
	}
	return false
}

func (v *configValidator) reportError(label string, err error) {
	v.problems++
	fmt.Fprintf(v.out, "%s: %s\n", label, oneLine(err.Error()))
}

var lineBreaks = regexp.MustCompile(`\s*\n\s*`)

// oneLine joins a multi-line message (YAML errors list one problem per line) so that
// every reported problem stays on the line that names its document and config.
func oneLine(s string) string {
	return lineBreaks.ReplaceAllString(strings.TrimSpace(s), " ")
}

func (v *configValidator) result() error {
	switch {
	case v.problems > 0:
		return fmt.Errorf("%d invalid config(s) or document(s), listed above", v.problems)
	case v.checked == 0:
		fmt.Fprintf(v.out, "no %s configs found\n", version.DriverName)
	}
	return nil
}
