package huaweicloud

import (
	"regexp"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The provider's settings in the configuration file. Importing this
// package registers them (and its capabilities) with config.
func init() {
	config.RegisterProvider(ProviderName, config.ProviderSchema{
		NewOptions:   func() config.ProviderOptions { return &TargetOptions{} },
		Capabilities: []string{model.CapabilityDesktops, model.CapabilityConnections, model.CapabilityUsage, model.CapabilityLogins, model.CapabilityPools, model.CapabilityUsers, model.CapabilityService, model.CapabilityAlarms, model.CapabilityQuotas, model.CapabilityJobs, model.CapabilityAppInstalls, model.CapabilityScripts, model.CapabilityScheduledTasks},
	})
}

// TargetOptions are a Huawei Cloud target's own keys, written in the
// target beside the common ones:
//
//	targets:
//	  - name: huawei-sg
//	    provider: huaweicloud
//	    region: ap-southeast-3
//	    project_id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9
//	    endpoint: https://workspace.ap-southeast-3.myhuaweicloud.com   # optional
//
// After validation Endpoint is set (no trailing slash).
type TargetOptions struct {
	// Region is the region name, e.g. ap-southeast-3.
	Region string `yaml:"region"`
	// ProjectID is the IAM project ID of the region.
	ProjectID string `yaml:"project_id"`
	// Endpoint is the Workspace API's base URL; default
	// https://workspace.<region>.myhuaweicloud.com.
	Endpoint string `yaml:"endpoint,omitempty"`
}

var (
	regionRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	projectRe = regexp.MustCompile(`^[A-Za-z0-9]+$`)
)

// DefaultEndpoint is the Workspace endpoint of a region.
func DefaultEndpoint(region string) string {
	return "https://workspace." + region + ".myhuaweicloud.com"
}

// Validate implements config.ProviderOptions: region and project_id are
// required; endpoint defaults to the region's and must be a plain
// http(s) base URL.
func (o *TargetOptions) Validate(v *config.Validation) {
	if o.Region == "" {
		v.Fail("region", "required, e.g. ap-southeast-3")
	} else if !regionRe.MatchString(o.Region) {
		v.Fail("region", "%q is not a region name (lower-case letters, digits and dashes)", config.Truncate(o.Region))
	}
	if o.ProjectID == "" {
		v.Fail("project_id", "required (the IAM project ID of the region)")
	} else if !projectRe.MatchString(o.ProjectID) {
		v.Fail("project_id", "%q is not a project ID (letters and digits only)", config.Truncate(o.ProjectID))
	}
	if o.Endpoint == "" {
		if regionRe.MatchString(o.Region) {
			o.Endpoint = DefaultEndpoint(o.Region)
		}
		return
	}
	v.Endpoint("endpoint", &o.Endpoint)
}

// InfoLabels implements config.ProviderOptions: the region and project
// ID label workspace_target_info.
func (o *TargetOptions) InfoLabels() (region, projectID string) {
	return o.Region, o.ProjectID
}
