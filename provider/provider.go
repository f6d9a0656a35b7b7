// Package provider is the registry of cloud providers. Each provider
// package (client/huaweicloud, …) registers a Factory in its init; the
// collector package builds targets through the registry and never imports
// a provider package. main.go imports the provider packages for their
// registration.
package provider

import (
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/config"
)

// Credentials are resolved keys. Empty access and secret keys select the
// provider SDK's own credential chain.
type Credentials struct {
	AccessKey, SecretKey, SecurityToken string
}

// Deps are what the exporter hands every provider client.
type Deps struct {
	// HTTPClient carries the target's TLS and proxy settings.
	HTTPClient *http.Client
	Observer   client.Observer
	Logger     *slog.Logger
	UserAgent  string
}

// Client is one target's API client. Beyond these methods it implements
// the model capability interfaces (model.DesktopLister, …) of the
// capabilities its provider declares.
type Client interface {
	// Operations names every operation the client can call (its spec
	// table's rows), for request accounting that starts at zero.
	Operations() []string
	// Documented returns the documented values of an enum field
	// (model.Field…), which collectors export even at 0.
	Documented(field string) []string
	// SetCredentials swaps the keys of the next requests (rotation).
	SetCredentials(Credentials) error
	// Close releases idle connections.
	Close()
}

// Factory builds the client of one validated target.
type Factory func(t config.Target, cred Credentials, deps Deps) (Client, error)

var (
	mu        sync.RWMutex
	factories = map[string]Factory{}
)

// Register makes a provider available under name; call it from init. A
// name registered twice panics.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := factories[name]; dup {
		panic("provider registered twice: " + name)
	}
	factories[name] = f
}

// New builds the client of t through its provider's factory.
func New(t config.Target, cred Credentials, deps Deps) (Client, error) {
	mu.RLock()
	f, ok := factories[t.Provider]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("target %q: provider %q is not built into this exporter (have: %v)", t.Name, t.Provider, Names())
	}
	return f(t, cred, deps)
}

// Names lists the registered providers, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(factories))
	for n := range factories {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Unregister removes a provider; for tests that register toys.
func Unregister(name string) {
	mu.Lock()
	delete(factories, name)
	mu.Unlock()
}

// Lookup returns the factory of a registered provider.
func Lookup(name string) (Factory, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := factories[name]
	return f, ok
}
