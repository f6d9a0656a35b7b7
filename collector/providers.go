package collector

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/config"
)

// providerClient is the API client of one target as the manager needs it.
type providerClient struct {
	// api is handed to every collector factory.
	api any
	// operations are the operation names the client can call, for request
	// accounting that starts at zero.
	operations []string
	// setCredentials swaps the keys in place (a rotated key file).
	setCredentials func(config.Resolved) error
	// close releases the client's idle connections.
	close func()
}

// providerFactory builds the API client of one target.
type providerFactory func(t config.Target, cred config.Resolved, obs client.Observer, logger *slog.Logger, userAgent string) (*providerClient, error)

var providers = map[string]providerFactory{
	config.ProviderHuaweiCloud: newHuaweiCloud,
}

func newHuaweiCloud(t config.Target, cred config.Resolved, obs client.Observer, logger *slog.Logger, userAgent string) (*providerClient, error) {
	hc, err := client.NewHTTPClient(t.TLSConfig, t.ProxyConfig, t.Name)
	if err != nil {
		return nil, fmt.Errorf("target %q: tls_config or proxy: %w", t.Name, err)
	}
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
		HTTPClient:    hc,
		Observer:      obs,
		Logger:        logger,
		UserAgent:     userAgent,
	})
	if err != nil {
		hc.CloseIdleConnections()
		return nil, fmt.Errorf("target %q: %w", t.Name, err)
	}
	return &providerClient{
		api:        c,
		operations: huaweicloud.Operations(),
		setCredentials: func(r config.Resolved) error {
			return c.SetCredentials(r.AccessKey.Reveal(), r.SecretKey.Reveal(), r.SecurityToken.Reveal())
		},
		close: c.Close,
	}, nil
}
