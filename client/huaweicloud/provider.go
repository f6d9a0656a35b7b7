package huaweicloud

import (
	"fmt"
	"time"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

func init() {
	provider.Register(ProviderName, newProviderClient)
}

// newProviderClient builds the client of a validated huaweicloud target.
func newProviderClient(t config.Target, cred provider.Credentials, deps provider.Deps) (provider.Client, error) {
	o, ok := t.Options.(*TargetOptions)
	if !ok || o == nil {
		return nil, fmt.Errorf("target %q: not a validated %s target", t.Name, ProviderName)
	}
	c, err := New(Config{
		Endpoint:      o.Endpoint,
		ProjectID:     o.ProjectID,
		AccessKey:     cred.AccessKey,
		SecretKey:     cred.SecretKey,
		SecurityToken: cred.SecurityToken,
		Timeout:       time.Duration(t.API.Timeout),
		MaxRetries:    *t.API.MaxRetries,
		MinBackoff:    time.Duration(t.API.MinBackoff),
		MaxBackoff:    time.Duration(t.API.MaxBackoff),
		Concurrency:   t.API.Concurrency,
		PageSize:      t.API.PageSize,
		MaxPages:      t.API.MaxPages,
		HTTPClient:    deps.HTTPClient,
		Observer:      deps.Observer,
		Logger:        deps.Logger,
		UserAgent:     deps.UserAgent,
	})
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", t.Name, err)
	}
	return c, nil
}
