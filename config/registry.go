package config

// The registries of providers and collectors. config imports no provider
// and no collector: each registers its schema here from an init function
// (client/huaweicloud registers the provider "huaweicloud", the collector
// package its collectors), and the configuration file is decoded and
// validated against what is registered.
//
// Registration happens in init functions only, before any configuration
// is parsed; afterwards the registries are read-only. Lookups take a read
// lock, so they are safe from any goroutine (and a registration that comes
// late by mistake is still not a data race).

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// ProviderOptions are a provider's own target settings: a pointer to the
// provider's struct with yaml tags, decoded from the keys of the target
// that are not common target keys (name, provider, credentials,
// tls_config, the proxy keys, api, collectors). Unknown keys are errors.
type ProviderOptions interface {
	// Validate applies the defaults of the options and reports each
	// problem through v, naming the key (see Validation). It is called
	// once per validation on a private copy of the options, and must
	// leave them valid when it reports nothing: validating a valid
	// target again changes nothing.
	Validate(v *Validation)
	// InfoLabels are the region and project_id labels of the target's
	// workspace_target_info series: "" where the provider has no such
	// thing.
	InfoLabels() (region, projectID string)
}

// ProviderSchema describes a provider to the configuration.
type ProviderSchema struct {
	// NewOptions returns a new pointer to the provider's options struct,
	// with the defaults that hold before validation (usually none). It
	// must return the same type every time.
	NewOptions func() ProviderOptions
	// Capabilities are what the provider's client can do, e.g. "desktops"
	// (model.CapabilityDesktops). A collector that needs a capability the
	// provider lacks is not available for its targets.
	Capabilities []string
}

// HasCapability reports whether the provider has capability c; every
// provider has the empty capability.
func (s ProviderSchema) HasCapability(c string) bool {
	return c == "" || slices.Contains(s.Capabilities, c)
}

// CollectorSchema describes a collector to the configuration.
type CollectorSchema struct {
	// DefaultEnabled tells whether the collector runs when the file says
	// nothing (for targets whose provider has its capability).
	DefaultEnabled bool
	// DefaultInterval is the refresh interval when the file gives none,
	// within MinInterval..MaxInterval.
	DefaultInterval time.Duration
	// Capability is what the collector needs of a provider, e.g.
	// "desktops"; "" when any provider will do.
	Capability string
	// NewOptions returns a new pointer to the collector's options struct
	// (yaml tags, decoded from the collector's mapping beside enabled and
	// interval), with its defaults set; nil when the collector has no
	// options. The options may implement interface{ Validate(*Validation) }
	// to check themselves (called on a private copy, as for
	// ProviderOptions).
	NewOptions func() any
}

// OptionsValidator is implemented by collector options that check
// themselves.
type OptionsValidator interface {
	Validate(v *Validation)
}

// registered is a schema and what registration learned of its options.
type registered[S any] struct {
	schema S
	// optionsType is the type NewOptions returns; nil when there is none.
	optionsType reflect.Type
	// keys are the YAML keys of the options.
	keys *structFields
}

var (
	registryMu sync.RWMutex
	providers  = map[string]registered[ProviderSchema]{}
	collectors = map[string]registered[CollectorSchema]{}
)

// registryNameRe is what a provider or collector name looks like.
var registryNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// RegisterProvider makes a provider known to the configuration; call it
// from an init function. It panics when the name is taken or not a
// lower-case identifier, when NewOptions is missing or does not return a
// pointer to a struct, or when an option's key is a common target key.
func RegisterProvider(name string, s ProviderSchema) {
	if !registryNameRe.MatchString(name) {
		panic(fmt.Sprintf("config: provider name %q is not a lower-case identifier", name))
	}
	if s.NewOptions == nil {
		panic(fmt.Sprintf("config: provider %q: NewOptions is required", name))
	}
	t, keys := optionsKeys("provider "+name, s.NewOptions())
	for _, k := range keys.names {
		if _, common := fieldsOf(targetType).index[k]; common {
			panic(fmt.Sprintf("config: provider %q: option key %q is a common target key", name, k))
		}
	}
	s.Capabilities = slices.Clone(s.Capabilities)
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := providers[name]; dup {
		panic("config: provider registered twice: " + name)
	}
	providers[name] = registered[ProviderSchema]{s, t, keys}
}

// RegisterCollector makes a collector known to the configuration; call it
// from an init function. It panics when the name is taken or not a
// lower-case identifier, when the default interval is out of bounds, or
// when NewOptions does not return a pointer to a struct whose keys differ
// from enabled and interval.
func RegisterCollector(name string, s CollectorSchema) {
	if !registryNameRe.MatchString(name) {
		panic(fmt.Sprintf("config: collector name %q is not a lower-case identifier", name))
	}
	if s.DefaultInterval < MinInterval || s.DefaultInterval > MaxInterval {
		panic(fmt.Sprintf("config: collector %q: default interval %s is outside %s..%s", name, s.DefaultInterval, Duration(MinInterval), Duration(MaxInterval)))
	}
	var (
		t    reflect.Type
		keys = &structFields{index: map[string][]int{}}
	)
	if s.NewOptions != nil {
		t, keys = optionsKeys("collector "+name, s.NewOptions())
		for _, k := range keys.names {
			if _, common := fieldsOf(collectorConfigType).index[k]; common {
				panic(fmt.Sprintf("config: collector %q: option key %q is a common collector key", name, k))
			}
		}
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := collectors[name]; dup {
		panic("config: collector registered twice: " + name)
	}
	collectors[name] = registered[CollectorSchema]{s, t, keys}
}

// optionsKeys checks that opts is a non-nil pointer to a struct and
// returns its type and keys.
func optionsKeys(what string, opts any) (reflect.Type, *structFields) {
	v := reflect.ValueOf(opts)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("config: %s: NewOptions must return a non-nil pointer to a struct, not %T", what, opts))
	}
	return v.Type(), fieldsOf(v.Elem().Type())
}

// ProviderNames lists the registered providers, sorted.
func ProviderNames() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return sortedKeys(providers)
}

// ProviderSchemaOf returns the schema of a registered provider.
func ProviderSchemaOf(name string) (ProviderSchema, bool) {
	r, ok := providerOf(name)
	return r.schema, ok
}

// CollectorNames lists the registered collectors, sorted.
func CollectorNames() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return sortedKeys(collectors)
}

// CollectorSchemaOf returns the schema of a registered collector.
func CollectorSchemaOf(name string) (CollectorSchema, bool) {
	r, ok := collectorOf(name)
	return r.schema, ok
}

func providerOf(name string) (registered[ProviderSchema], bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	r, ok := providers[name]
	return r, ok
}

func collectorOf(name string) (registered[CollectorSchema], bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	r, ok := collectors[name]
	return r, ok
}

// providersWithKey lists the providers other than except whose options
// have key, sorted.
func providersWithKey(key, except string) []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var out []string
	for name, r := range providers {
		if _, ok := r.keys.index[key]; ok && name != except {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// allProviderKeys lists the option keys of every provider, for suggestions
// where the provider is unknown.
func allProviderKeys() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var out []string
	for _, name := range sortedKeys(providers) {
		for _, k := range providers[name].keys.names {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// orNone joins names for a message, or says there are none.
func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
