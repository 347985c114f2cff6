package fclocal

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// FireTimer invokes a timer trigger now, as FC does at a scheduled time:
// asynchronously, with the event {triggerTime, triggerName, payload}.
// triggerTime is at (the scheduled time). It returns the request id.
func (r *Runner) FireTimer(function, trigger string, at time.Time) (string, error) {
	rf, err := r.lookup(function)
	if err != nil {
		return "", err
	}
	t := rf.fn.Trigger(trigger)
	if t == nil || t.Timer == nil {
		return "", fmt.Errorf("function %s has no timer trigger %q", rf.fn.Name, trigger)
	}
	if !t.Timer.Enabled {
		return "", fmt.Errorf("timer trigger %s of function %s is disabled (enable: false)", trigger, rf.fn.Name)
	}
	return r.InvokeAsync(rf.fn.Name, timerEvent(t, at), "timer:"+t.Name)
}

// TimerSchedule is one enabled timer and its next fire time.
type TimerSchedule struct {
	Function, Trigger, Cron string
	Next                    time.Time
}

// Timers lists the timer triggers; enabled ones with their next fire time
// after now, disabled ones with a zero Next.
func (r *Runner) Timers(now time.Time) []TimerSchedule {
	var out []TimerSchedule
	for _, rf := range r.funcs {
		for _, t := range rf.fn.Triggers {
			if t.Timer == nil {
				continue
			}
			ts := TimerSchedule{Function: rf.fn.Name, Trigger: t.Name, Cron: t.Timer.CronExpression}
			if t.Timer.Enabled {
				ts.Next = nextFire(t.Timer.Schedule, now)
			}
			out = append(out, ts)
		}
	}
	return out
}

// StartTimers fires every enabled timer trigger on its schedule until
// Close. Nothing fires at start: the first run is the schedule's next time
// after now, as FC does not fire a timer on deploy.
func (r *Runner) StartTimers() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	for _, rf := range r.funcs {
		for _, t := range rf.fn.Triggers {
			if t.Timer == nil || !t.Timer.Enabled {
				continue
			}
			r.wg.Add(1)
			go r.runTimer(rf, t)
		}
	}
	return nil
}

func (r *Runner) runTimer(rf *runFunc, t *Trigger) {
	defer r.wg.Done()
	next := nextFire(t.Timer.Schedule, time.Now())
	for {
		if next.IsZero() { // a schedule that never fires again
			return
		}
		tm := time.NewTimer(time.Until(next))
		select {
		case <-r.ctx.Done():
			tm.Stop()
			return
		case <-tm.C:
		}
		if _, err := r.InvokeAsync(rf.fn.Name, timerEvent(t, next), "timer:"+t.Name); err != nil {
			return
		}
		// The next time strictly after this one (and after now, should the
		// machine have slept through several).
		n := nextFire(t.Timer.Schedule, next)
		if now := time.Now(); n.Before(now) {
			n = nextFire(t.Timer.Schedule, now)
		}
		next = n
	}
}

// nextFire is the schedule's next time after t. An @every interval runs a
// whole interval after t (robfig/cron would round t down to the second,
// firing up to a second early the first time).
func nextFire(s cron.Schedule, t time.Time) time.Time {
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		return t.Add(c.Delay)
	}
	return s.Next(t)
}
