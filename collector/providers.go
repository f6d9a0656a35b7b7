package collector

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/config"
)

// providerFactory builds the API client of one target. The client is
// handed to every collector factory as `api`.
type providerFactory func(t config.Target, cred config.Resolved, obs client.Observer, logger *slog.Logger, userAgent string) (any, error)

var providers = map[string]providerFactory{
	config.ProviderHuaweiCloud: newHuaweiCloud,
}

func newHuaweiCloud(t config.Target, cred config.Resolved, obs client.Observer, logger *slog.Logger, userAgent string) (any, error) {
	c, err := huaweicloud.New(huaweicloud.Config{
		Endpoint:      t.Endpoint,
		ProjectID:     t.ProjectID,
		AccessKey:     cred.AccessKey.Reveal(),
		SecretKey:     cred.SecretKey.Reveal(),
		SecurityToken: cred.SecurityToken.Reveal(),
		Timeout:       time.Duration(t.API.Timeout),
		MaxRetries:    *t.API.MaxRetries,
		MinBackoff:    time.Duration(t.API.MinBackoff),
		MaxBackoff:    time.Duration(t.API.MaxBackoff),
		Concurrency:   t.API.Concurrency,
		PageSize:      t.API.PageSize,
		MaxPages:      t.API.MaxPages,
		Observer:      obs,
		Logger:        logger,
		UserAgent:     userAgent,
	})
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", t.Name, err)
	}
	return c, nil
}
