package ecsemu

import (
	"regexp"
	"slices"
)

// What StopInstance(s) with StoppedMode=StopCharging does to an instance
// (the fleet's EconomicalMode).
const (
	// EconomicalSupported: stopped in economical mode (StoppedMode
	// StopCharging).
	EconomicalSupported = "supported"
	// EconomicalKeepCharging: stopped without error in standard mode
	// (StoppedMode KeepCharging).
	EconomicalKeepCharging = "stops-keep-charging"
	// EconomicalNotApplicable: stopped without error, StoppedMode
	// Not-applicable ("economical mode is not applicable to the instance").
	EconomicalNotApplicable = "stops-not-applicable"
	// EconomicalRefused: the stop is refused with 403
	// InvalidInstanceId.NotSupport and the instance keeps running.
	EconomicalRefused = "refused"
)

// EconomicalModes lists the valid EconomicalMode values.
var EconomicalModes = []string{EconomicalSupported, EconomicalKeepCharging, EconomicalNotApplicable, EconomicalRefused}

// Spot strategies.
const (
	SpotNone           = "NoSpot"
	SpotAsPriceGo      = "SpotAsPriceGo"
	SpotWithPriceLimit = "SpotWithPriceLimit"
)

var (
	// localDiskFamily matches the local-SSD (ecs.i1, i2, i2g, i3, i4 …) and
	// big-data (ecs.d1, d1ne, d2s, d3c …) families, which have local disks.
	// ecs.ic5 and the like (compute-intensive, no local disks) do not match.
	localDiskFamily = regexp.MustCompile(`^ecs\.[id][0-9]`)
	// noEconomicalFamilies are GPU and memory families taken not to support
	// economical mode. UNCONFIRMED list: GPU families with local disks and
	// the persistent-memory and large-memory families, as remembered; a
	// fleet file sets EconomicalMode for any other.
	noEconomicalFamilies = []string{"ecs.gn5", "ecs.ga1", "ecs.gn4", "ecs.re4", "ecs.re6", "ecs.re6p", "ecs.re7p", "ecs.se1"}
)

// economicalMode is what a StopCharging stop does to the instance: the
// fleet's EconomicalMode if set, else derived. The ECS reference says that
// instances which do not support economical mode "are stopped without
// error", and its StopInstance error table lists 403
// InvalidInstanceId.NotSupport for classic-network, subscription,
// local-disk and spot instances. The derivation picks one reading per
// case (UNCONFIRMED, every one):
//
//   - PrePaid: stopped without error in standard mode, KeepCharging;
//   - spot (SpotAsPriceGo, SpotWithPriceLimit): refused 403
//     InvalidInstanceId.NotSupport;
//   - local-SSD and big-data families (ecs.i*, ecs.d*): refused 403
//     InvalidInstanceId.NotSupport;
//   - classic network: stopped without error, StoppedMode Not-applicable
//     (economical mode is for VPC instances);
//   - the GPU and memory families of noEconomicalFamilies: stopped without
//     error in standard mode, KeepCharging;
//   - anything else: supported.
func (in *instance) economicalMode() string {
	switch {
	case in.econMode != "":
		return in.econMode
	case in.chargeType == PrePaid:
		return EconomicalKeepCharging
	case in.isSpot():
		return EconomicalRefused
	case localDiskFamily.MatchString(in.family):
		return EconomicalRefused
	case in.networkType == NetworkClassic:
		return EconomicalNotApplicable
	case slices.Contains(noEconomicalFamilies, in.family):
		return EconomicalKeepCharging
	}
	return EconomicalSupported
}

// stoppedModeFor is the StoppedMode a stop asked for mode leaves the
// instance in. A StoppedMode left out means KeepCharging (the console's
// economical-mode default cannot be known here).
func (in *instance) stoppedModeFor(mode string) string {
	if mode != "StopCharging" {
		return "KeepCharging"
	}
	switch in.economicalMode() {
	case EconomicalSupported:
		return "StopCharging"
	case EconomicalNotApplicable:
		return "Not-applicable"
	}
	return "KeepCharging"
}

func errNoEconomicalMode(in *instance) *apiError {
	return errf("InvalidInstanceId.NotSupport", "The specified instance %s does not support economical mode (StoppedMode=StopCharging).", in.id)
}

// errNoStock is StartInstance's answer when the zone has no stock for an
// instance whose resources were given up in economical mode. The code is
// in StartInstance's documented error list; the message is UNCONFIRMED
// (the one RunInstances gives for the same code, as remembered).
func errNoStock() *apiError {
	return errf("OperationDenied.NoStock", "The resource is out of stock in the specified zone. Please try other types, or choose other regions and zones.")
}
