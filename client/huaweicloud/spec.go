package huaweicloud

import "github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"

// Spec is the table of every operation the client calls (see hwspec).
var Spec = hwspec.Spec

// ProviderName is the `provider` of Huawei Cloud Workspace targets.
const ProviderName = hwspec.ProviderName
