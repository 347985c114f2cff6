package fclocal

import "github.com/fc-ecs-release/fc-ecs-release/internal/syaml"

// s.yaml is read by internal/syaml; these names keep fclocal's API as it
// was (Load, LoadFile, Project, ...) for its callers.
type (
	// Project is a resolved s.yaml: its fc3 functions, in file order.
	Project = syaml.Project
	// Function is one fc3 resource, its props merged over its template.
	Function = syaml.Function
	// Action is a pre-deploy `run` step.
	Action = syaml.Action
	// Trigger is one entry of a function's triggers.
	Trigger = syaml.Trigger
	// TimerConfig is a timer trigger's triggerConfig.
	TimerConfig = syaml.TimerConfig
	// HTTPConfig is an HTTP trigger's triggerConfig.
	HTTPConfig = syaml.HTTPConfig
	// AsyncConfig is asyncInvokeConfig, with fc3's defaults.
	AsyncConfig = syaml.AsyncConfig
	// Destination is an async destination naming a function of the file.
	Destination = syaml.Destination
	// Error is an s.yaml problem: file, line, column, key path, message.
	Error = syaml.Error
	// LookupEnv reads an environment variable for ${env(...)}.
	LookupEnv = syaml.LookupEnv
)

// Trigger types fclocal knows. Timer and HTTP triggers are served,
// EventBridge triggers get the events put on the local bus (PutEvent); the
// others are accepted and listed, never fired.
const (
	TriggerTimer       = syaml.TriggerTimer
	TriggerHTTP        = syaml.TriggerHTTP
	TriggerEventBridge = syaml.TriggerEventBridge
)

// fc3 schema defaults.
const (
	DefaultMaxAsyncRetryAttempts     = syaml.DefaultMaxAsyncRetryAttempts
	DefaultMaxAsyncEventAgeInSeconds = syaml.DefaultMaxAsyncEventAgeInSeconds
	DefaultTimeoutSeconds            = syaml.DefaultTimeoutSeconds
	DefaultMemorySizeMB              = syaml.DefaultMemorySizeMB
)

// envKeyPattern is what FC accepts as an environment variable name.
var envKeyPattern = syaml.EnvNamePattern

// LoadFile reads and resolves an s.yaml (syaml.LoadFile).
func LoadFile(path string, lookup LookupEnv) (*Project, error) {
	return syaml.LoadFile(path, lookup)
}

// Load resolves s.yaml content (syaml.Load): path is where it lives, lookup
// supplies ${env(...)} (nil: no variable is set).
func Load(data []byte, path string, lookup LookupEnv) (*Project, error) {
	return syaml.Load(data, path, lookup)
}
