package request

import "fmt"

// The request's say in how the functions meet the cloud's hazards:
// instances another service owns (Auto Scaling), and stops ECS refuses in
// economical mode.
const (
	// AutoScalingSkip (the default, also when the field is absent): stop
	// and release skip members of an Auto Scaling group (code
	// auto-scaling).
	AutoScalingSkip = "skip"
	// AutoScalingInclude: stop and release act on members too; the caller
	// accepts ESS's reaction (a stopped member is marked unhealthy,
	// released and replaced; a released one is replaced to keep the
	// group's desired capacity). Every other guard still holds.
	AutoScalingInclude = "include"
)

// IncludesAutoScaling reports whether the request accepts acting on Auto
// Scaling members.
func (r Request) IncludesAutoScaling() bool { return r.AutoScaling == AutoScalingInclude }

// FallsBackToKeepCharging reports whether a stop ECS refuses in economical
// mode may be made again in KeepCharging.
func (r Request) FallsBackToKeepCharging() bool {
	return r.StoppedModeFallback == StoppedModeKeepCharging
}

// validateHazards checks autoScaling and stoppedModeFallback (Validate).
func (r Request) validateHazards() error {
	switch r.AutoScaling {
	case "", AutoScalingSkip, AutoScalingInclude:
	default:
		return invalid("autoScaling", fmt.Sprintf("%s is not supported (want %q or %q)", quote(r.AutoScaling), AutoScalingSkip, AutoScalingInclude))
	}
	switch r.StoppedModeFallback {
	case "", StoppedModeKeepCharging:
	default:
		return invalid("stoppedModeFallback", fmt.Sprintf("%s is not supported (want %q, or leave it out to fail an instance ECS will not stop in economical mode)", quote(r.StoppedModeFallback), StoppedModeKeepCharging))
	}
	return nil
}

// validateHazardsFor: autoScaling and stoppedModeFallback are stop and
// release options. The autorelease function refuses them: it never gives
// an Auto Scaling member an auto-release time, and it stops nothing.
func (r Request) validateHazardsFor(fn Function) error {
	if fn != AutoRelease {
		return nil
	}
	if r.AutoScaling != "" {
		return invalid("autoScaling", "not used by the autorelease function (it never gives an Auto Scaling member an auto-release time)")
	}
	if r.StoppedModeFallback != "" {
		return invalid("stoppedModeFallback", "not used by the autorelease function")
	}
	return nil
}
