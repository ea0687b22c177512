package v1alpha1

import (
	"bytes"
	"fmt"
	"strings"

	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Decode parses one NetworkConfig from JSON or YAML. Decoding is strict: unknown or
// duplicate fields, field names in the wrong case, numbers that overflow their field, and a
// wrong apiVersion or kind are errors, so a typo never silently changes what a pod gets.
//
// JSON, which is how the API server hands opaque parameters to the driver, is decoded as
// is. YAML is converted to JSON without looking at the target type, exactly as kubectl does
// before a DeviceClass or ResourceClaim reaches the API server: an unquoted `name: on` is
// the boolean true there, so it is an error here too, never the string "true".
func Decode(data []byte) (*NetworkConfig, error) {
	jsonData, err := toJSON(data)
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", KindNetworkConfig, err)
	}
	if bytes.Equal(bytes.TrimSpace(jsonData), []byte("null")) {
		return nil, fmt.Errorf("decoding %s: the document is empty", KindNetworkConfig)
	}
	var cfg NetworkConfig
	// encoding/json matches keys case-insensitively (MTU would fill mtu, and of mtu and
	// MTU the last would win); sigs.k8s.io/json matches them exactly, as the API server does.
	strictErrs, err := sigsjson.UnmarshalStrict(jsonData, &cfg)
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", KindNetworkConfig, err)
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("decoding %s: %s", KindNetworkConfig, strings.Join(msgs, "; "))
	}
	if cfg.APIVersion != APIVersion {
		return nil, fmt.Errorf("apiVersion: unsupported value %q: must be %q", cfg.APIVersion, APIVersion)
	}
	if cfg.Kind != KindNetworkConfig {
		return nil, fmt.Errorf("kind: unsupported value %q: must be %q", cfg.Kind, KindNetworkConfig)
	}
	return &cfg, nil
}

// toJSON returns JSON input unchanged and converts YAML. JSON must not take the YAML
// path: the YAML parser refuses raw control characters (such as DEL) that JSON strings may
// hold, and the JSON decoder below catches duplicate keys itself.
func toJSON(data []byte) ([]byte, error) {
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		return data, nil
	}
	return yaml.YAMLToJSONStrict(data)
}
