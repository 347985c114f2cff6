package syaml

// The typed view of an s.yaml, decoded from the resolved nodes with
// yaml.v3's Decoder.KnownFields(true): a key these structs do not model is
// an error, with its line and key path. Scalars are typed strictly (a
// string field takes a YAML string only, an integer field an integer, a
// bool field true or false), nested configurations the local runner does
// not use are kept raw (any) so that any valid content passes, and a
// missing value is the zero value (nil for pointers), which the checks
// above this layer (Project, the deploy tests) interpret.

// topLevel is the top-level mapping. Serverless Devs 3.0 knows these keys;
// `extend` (inheriting another file) is refused while resolving.
type topLevel struct {
	Edition   string                  `yaml:"edition"`
	Name      string                  `yaml:"name"`
	Access    string                  `yaml:"access"`
	Vars      map[string]any          `yaml:"vars"`
	Template  map[string]any          `yaml:"template"`
	Resources map[string]any          `yaml:"resources"`
	Actions   map[string][]ActionStep `yaml:"actions"`
	Flow      any                     `yaml:"flow"`
}

// resourceSpec is one entry of resources. Props is decoded separately,
// by component.
type resourceSpec struct {
	Component string                  `yaml:"component"`
	Actions   map[string][]ActionStep `yaml:"actions"`
	Extend    *Extend                 `yaml:"extend"`
	Props     any                     `yaml:"props"`
}

// Extend is a resource's extend: the template its props are merged over.
type Extend struct {
	Name   string   `yaml:"name"`
	Ignore []string `yaml:"ignore"`
}

// ActionStep is one step of an actions hook (e.g. pre-deploy): a shell
// command (run, in path), a component command or a plugin.
type ActionStep struct {
	Run          string `yaml:"run"`
	Path         string `yaml:"path"`
	Component    string `yaml:"component"`
	Plugin       string `yaml:"plugin"`
	Args         any    `yaml:"args"`
	AllowFailure any    `yaml:"allow_failure"`
}

// Props are an fc3 resource's props: the keys of the fc3 component's
// function schema. The ones fclocal and the deploy checks read are typed;
// the rest are kept raw.
type Props struct {
	Region       string `yaml:"region"`
	FunctionName string `yaml:"functionName"`
	Description  string `yaml:"description"`
	Runtime      string `yaml:"runtime"`
	Handler      string `yaml:"handler"`
	// Code is a local directory (a string) or an OSS location (a mapping).
	Code                 any               `yaml:"code"`
	Timeout              *int              `yaml:"timeout"`
	MemorySize           *int              `yaml:"memorySize"`
	CPU                  *float64          `yaml:"cpu"`
	DiskSize             *int              `yaml:"diskSize"`
	InstanceConcurrency  *int              `yaml:"instanceConcurrency"`
	InternetAccess       *bool             `yaml:"internetAccess"`
	Role                 string            `yaml:"role"`
	EnvironmentVariables map[string]string `yaml:"environmentVariables"`
	Layers               []string          `yaml:"layers"`
	// LogConfig is "auto" or a mapping, decoded into Log.
	LogConfig any        `yaml:"logConfig"`
	Log       *LogConfig `yaml:"-"`
	// VPCConfig is "auto" or a mapping, decoded into VPC.
	VPCConfig         any                `yaml:"vpcConfig"`
	VPC               *VPCConfig         `yaml:"-"`
	Triggers          []TriggerProps     `yaml:"triggers"`
	AsyncInvokeConfig *AsyncInvokeConfig `yaml:"asyncInvokeConfig"`

	// Kept raw: not read here.
	Annotations             any    `yaml:"annotations"`
	ConcurrencyConfig       any    `yaml:"concurrencyConfig"`
	CustomContainerConfig   any    `yaml:"customContainerConfig"`
	CustomDNS               any    `yaml:"customDNS"`
	CustomRuntimeConfig     any    `yaml:"customRuntimeConfig"`
	EnableLongLiving        *bool  `yaml:"enableLongLiving"`
	Endpoint                string `yaml:"endpoint"`
	GPUConfig               any    `yaml:"gpuConfig"`
	InstanceIsolationMode   string `yaml:"instanceIsolationMode"`
	InstanceLifecycleConfig any    `yaml:"instanceLifecycleConfig"`
	NASConfig               any    `yaml:"nasConfig"`
	OSSMountConfig          any    `yaml:"ossMountConfig"`
	ProvisionConfig         any    `yaml:"provisionConfig"`
	ResourceGroupID         string `yaml:"resourceGroupId"`
	ScalingConfig           any    `yaml:"scalingConfig"`
	SessionAffinity         any    `yaml:"sessionAffinity"`
	SessionAffinityConfig   any    `yaml:"sessionAffinityConfig"`
	Supplement              any    `yaml:"supplement"`
	Tags                    any    `yaml:"tags"`
	TracingConfig           any    `yaml:"tracingConfig"`
	VPCBinding              any    `yaml:"vpcBinding"`
}

// LogConfig is a logConfig mapping (the SLS project and logstore).
type LogConfig struct {
	Project               string `yaml:"project"`
	Logstore              string `yaml:"logstore"`
	EnableRequestMetrics  *bool  `yaml:"enableRequestMetrics"`
	EnableInstanceMetrics *bool  `yaml:"enableInstanceMetrics"`
	EnableLLMMetrics      *bool  `yaml:"enableLlmMetrics"`
	LogBeginRule          string `yaml:"logBeginRule"`
}

// VPCConfig is a vpcConfig mapping.
type VPCConfig struct {
	VPCID           string `yaml:"vpcId"`
	SecurityGroupID string `yaml:"securityGroupId"`
	// VSwitchIDs is a list of ids or "auto".
	VSwitchIDs any `yaml:"vSwitchIds"`
}

// TriggerProps is one entry of props.triggers. TriggerConfig is decoded by
// triggerType into Timer, HTTP or EventBridge; other types keep it raw.
type TriggerProps struct {
	TriggerName    string `yaml:"triggerName"`
	TriggerType    string `yaml:"triggerType"`
	Description    string `yaml:"description"`
	Qualifier      string `yaml:"qualifier"`
	SourceArn      string `yaml:"sourceArn"`
	InvocationRole string `yaml:"invocationRole"`
	TriggerConfig  any    `yaml:"triggerConfig"`

	Timer       *TimerTriggerConfig       `yaml:"-"`
	HTTP        *HTTPTriggerConfig        `yaml:"-"`
	EventBridge *EventBridgeTriggerConfig `yaml:"-"`
}

// TimerTriggerConfig is a timer trigger's triggerConfig.
type TimerTriggerConfig struct {
	CronExpression string `yaml:"cronExpression"`
	Enable         *bool  `yaml:"enable"`
	// Payload is a string (FC delivers it as the event's payload).
	Payload *string `yaml:"payload"`
}

// HTTPTriggerConfig is an HTTP trigger's triggerConfig.
type HTTPTriggerConfig struct {
	AuthType           string   `yaml:"authType"`
	Methods            []string `yaml:"methods"`
	DisableURLInternet *bool    `yaml:"disableURLInternet"`
	AuthConfig         any      `yaml:"authConfig"`
}

// EventBridgeTriggerConfig is an EventBridge trigger's triggerConfig.
type EventBridgeTriggerConfig struct {
	TriggerEnable          *bool              `yaml:"triggerEnable"`
	AsyncInvocationType    *bool              `yaml:"asyncInvocationType"`
	EventRuleFilterPattern string             `yaml:"eventRuleFilterPattern"`
	EventSourceConfig      *EventSourceConfig `yaml:"eventSourceConfig"`
	EventSinkConfig        any                `yaml:"eventSinkConfig"`
	RunOptions             any                `yaml:"runOptions"`
}

// EventSourceConfig is an EventBridge trigger's event source.
type EventSourceConfig struct {
	EventSourceType       string `yaml:"eventSourceType"`
	EventSourceParameters any    `yaml:"eventSourceParameters"`
}

// AsyncInvokeConfig is props.asyncInvokeConfig.
type AsyncInvokeConfig struct {
	MaxAsyncRetryAttempts     *int               `yaml:"maxAsyncRetryAttempts"`
	MaxAsyncEventAgeInSeconds *int               `yaml:"maxAsyncEventAgeInSeconds"`
	DestinationConfig         *DestinationConfig `yaml:"destinationConfig"`
	AsyncTask                 *bool              `yaml:"asyncTask"`
	Qualifier                 string             `yaml:"qualifier"`
}

// DestinationConfig names where async results go.
type DestinationConfig struct {
	OnSuccess *DestinationTarget `yaml:"onSuccess"`
	OnFailure *DestinationTarget `yaml:"onFailure"`
}

// DestinationTarget is one destination: an ARN.
type DestinationTarget struct {
	Destination string `yaml:"destination"`
}
