package ecsemu

import "time"

// Clock tells the emulator what time it is. The emulator adds its own
// offset (see Emulator.Advance) on top of it. The module has one clock
// implementation for real and fake time, shared/clock: clock.Real is the
// default, and tests pass a *clock.Fake (ecsemutest.Start does).
type Clock interface {
	Now() time.Time
}
