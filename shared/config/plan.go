package config

import (
	"fmt"

	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// Plan is a request merged with the configuration: what one invocation
// will actually do.
type Plan struct {
	Request      request.Request
	Region       string
	DryRun       bool
	DryRunSource string // "deployment" (DRY_RUN) or "request"
	MaxInstances int
	StoppedMode  string
}

// PlanError is a request the configuration does not allow.
type PlanError struct {
	Field, Message string
}

func (e *PlanError) Error() string { return e.Field + ": " + e.Message }

// Plan merges req with the configuration. The request may turn dry run on,
// lower the cap and choose the stopped mode; it cannot turn dry run off
// when the deployment is in dry run (the deployment wins, silently: the
// answer says dryRun and why), and a cap above MAX_INSTANCES is refused.
// The region is the request's, else DEFAULT_REGION, else the function's.
func (c *Config) Plan(req request.Request, functionRegion string) (Plan, error) {
	p := Plan{Request: req, MaxInstances: c.MaxInstances, StoppedMode: c.StoppedMode}
	switch {
	case c.DryRun:
		p.DryRun, p.DryRunSource = true, "deployment"
	case req.IsDryRun():
		p.DryRun, p.DryRunSource = true, "request"
	}
	if req.MaxInstances > 0 {
		if req.MaxInstances > c.MaxInstances {
			return Plan{}, &PlanError{Field: "maxInstances", Message: fmt.Sprintf("%d is above the deployment's cap of %d (MAX_INSTANCES); a request may only lower it", req.MaxInstances, c.MaxInstances)}
		}
		p.MaxInstances = req.MaxInstances
	}
	if req.StoppedMode != "" {
		p.StoppedMode = req.StoppedMode
	}
	p.Region = req.Region
	if p.Region == "" {
		p.Region = c.DefaultRegion
	}
	if p.Region == "" {
		p.Region = functionRegion
	}
	if p.Region == "" {
		return Plan{}, &PlanError{Field: "region", Message: "no region: the request names none, DEFAULT_REGION is unset and the function's region is unknown"}
	}
	return p, nil
}
