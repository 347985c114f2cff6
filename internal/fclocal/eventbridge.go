package fclocal

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
)

// EventBridge triggers, delivered locally: a small default event bus.
// PutEvent takes one event in the form EventBridge delivers it (a
// CloudEvents 1.0 envelope with EventBridge's aliyun* attributes and the
// event's data) and invokes every function whose enabled EventBridge
// trigger on the default bus (eventSourceType Default) has an
// eventRuleFilterPattern the event matches, as EventBridge does in FC 3.0's
// event-driven mode: one invocation per event and trigger, with the event
// itself as the payload, asynchronous when the trigger says
// asyncInvocationType: true (FC's async retries and destinations then
// apply), else synchronous. DeliverEmulatorEvents puts every event an
// in-process emulator emits (ecsemu.Emulator.Subscribe) on that bus.

// TriggerEventBridgePrefix starts the Invocation.Trigger of an EventBridge
// delivery: "eventbridge:<triggerName>".
const TriggerEventBridgePrefix = "eventbridge:"

// EventRoute is one EventBridge trigger as the local bus sees it.
type EventRoute struct {
	Function, Trigger string
	// Pattern is the trigger's eventRuleFilterPattern, as written.
	Pattern string
	// Async is asyncInvocationType.
	Async bool
	// Skip says why the trigger is not delivered to locally ("" when it
	// is): disabled, another event source than the default bus, a pattern
	// fclocal cannot evaluate.
	Skip string

	rf      *runFunc
	pattern eventPattern
}

// EventDelivery is one invocation an event started.
type EventDelivery struct {
	Function, Trigger string
	Async             bool
	// RequestID is the invocation's request id ("" if it was not started).
	RequestID string
	// Err is a failure to start it (the runner closed, an oversized event);
	// a function error is in the invocation's record, not here.
	Err error
}

// EventRouting is what the bus did with one event.
type EventRouting struct {
	// ID, Source, Type and Subject are the event's (CloudEvents
	// attributes; "" when absent).
	ID, Source, Type, Subject string
	// About is what the event is about, for people: its subject, else the
	// instanceId or instanceIds of its data (a job-completion record).
	About string
	// Deliveries are the invocations it started, in s.yaml's order; none
	// when no trigger matched.
	Deliveries []EventDelivery
	// At is when it was put on the bus.
	At time.Time
}

// Line describes the routing in one line: the event and where it went.
func (e EventRouting) Line() string {
	what := e.Type
	if e.Source != "" {
		what += " from " + e.Source
	}
	if e.About != "" {
		what += " about " + e.About
	}
	if len(e.Deliveries) == 0 {
		return "event " + what + ": no EventBridge trigger matches it"
	}
	var to []string
	for _, d := range e.Deliveries {
		kind := "sync"
		if d.Async {
			kind = "async"
		}
		s := fmt.Sprintf("%s (trigger %s, %s", d.Function, d.Trigger, kind)
		switch {
		case d.Err != nil:
			s += ", NOT delivered: " + d.Err.Error()
		case d.RequestID != "":
			s += " request " + d.RequestID
		}
		to = append(to, s+")")
	}
	return "event " + what + " -> " + strings.Join(to, ", ")
}

// eventRoutes reads the functions' EventBridge triggers (Start).
func eventRoutes(funcs []*runFunc) []*EventRoute {
	var out []*EventRoute
	for _, rf := range funcs {
		if rf.fn.Props == nil {
			continue
		}
		for _, tp := range rf.fn.Props.Triggers {
			if tp.TriggerType != TriggerEventBridge || tp.EventBridge == nil {
				continue
			}
			cfg := tp.EventBridge
			rt := &EventRoute{Function: rf.fn.Name, Trigger: tp.TriggerName, Pattern: cfg.EventRuleFilterPattern, rf: rf}
			rt.Async = cfg.AsyncInvocationType != nil && *cfg.AsyncInvocationType
			src := ""
			if cfg.EventSourceConfig != nil {
				src = cfg.EventSourceConfig.EventSourceType
			}
			var err error
			switch {
			case cfg.TriggerEnable != nil && !*cfg.TriggerEnable:
				rt.Skip = "disabled (triggerEnable: false)"
			case src != "Default":
				rt.Skip = fmt.Sprintf("event source %q: only the default bus (eventSourceType Default) is delivered locally", src)
			default:
				if rt.pattern, err = parseEventPattern(cfg.EventRuleFilterPattern); err != nil {
					rt.Skip = "eventRuleFilterPattern: " + err.Error()
				}
			}
			out = append(out, rt)
		}
	}
	return out
}

// EventRoutes lists the EventBridge triggers, in s.yaml's order, each
// with why it is not delivered to, if it is not.
func (r *Runner) EventRoutes() []EventRoute {
	out := make([]EventRoute, len(r.routes))
	for i, rt := range r.routes {
		out[i] = *rt
		out[i].rf, out[i].pattern = nil, nil
	}
	return out
}

// PutEvent puts one event on the local default bus: every enabled
// EventBridge trigger whose pattern it matches invokes its function with
// the event as payload (see the top of this file). The event must be one
// JSON object; the error is for anything else. Options.OnEvent gets the
// routing too.
func (r *Runner) PutEvent(event []byte) (EventRouting, error) {
	var ev map[string]any
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil || ev == nil {
		if err == nil {
			err = errors.New("null")
		}
		return EventRouting{}, fmt.Errorf("an event is one JSON object (a CloudEvent as EventBridge delivers it): %v", err)
	}
	if dec.More() {
		return EventRouting{}, errors.New("an event is one JSON object: more follows it (put the events of a batch one by one)")
	}
	str := func(k string) string { s, _ := ev[k].(string); return s }
	er := EventRouting{ID: str("id"), Source: str("source"), Type: str("type"), Subject: str("subject"), At: time.Now()}
	er.About = er.Subject
	if data, ok := ev["data"].(map[string]any); ok && er.About == "" {
		if id, ok := data["instanceId"].(string); ok {
			er.About = id
		} else if ids, ok := data["instanceIds"].([]any); ok {
			var names []string
			for _, x := range ids {
				if s, ok := x.(string); ok {
					names = append(names, s)
				}
			}
			er.About = strings.Join(names, ", ")
		}
	}
	for _, rt := range r.routes {
		if rt.Skip != "" || !rt.pattern.match(ev) {
			continue
		}
		d := EventDelivery{Function: rt.Function, Trigger: rt.Trigger, Async: rt.Async}
		label := TriggerEventBridgePrefix + rt.Trigger
		if rt.Async {
			d.RequestID, d.Err = r.InvokeAsync(rt.Function, event, label)
		} else {
			d.RequestID, d.Err = r.invokeDetached(rt.rf, event, label)
		}
		er.Deliveries = append(er.Deliveries, d)
	}
	if r.opts.OnEvent != nil {
		r.opts.OnEvent(er)
	}
	return er, nil
}

// invokeDetached starts a synchronous invocation (EventBridge's, with
// asyncInvocationType false) without waiting for it; Wait waits for it.
// EventBridge's own retry strategy for it is not modelled: one attempt.
func (r *Runner) invokeDetached(rf *runFunc, payload []byte, trigger string) (string, error) {
	if len(payload) > MaxSyncPayloadBytes {
		return "", fmt.Errorf("the event is %d bytes; synchronous invocations take at most %d", len(payload), MaxSyncPayloadBytes)
	}
	id := NewRequestID()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return "", ErrClosed
	}
	r.inflight++
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		defer r.doneAsync()
		r.emit(r.call(r.ctx, rf, payload, attempt{trigger: trigger, requestID: id}))
	}()
	return id, nil
}

// DeliverEmulatorEvents puts every event emu emits from now on (in
// EventBridge's form) on the runner's default bus, until the returned
// function is called. onErr, if set, gets an event that could not be put.
func (r *Runner) DeliverEmulatorEvents(emu *ecsemu.Emulator, onErr func(error)) (stop func()) {
	return emu.Subscribe(func(ev ecsemu.Event) {
		b, err := json.Marshal(ev)
		if err == nil {
			_, err = r.PutEvent(b)
		}
		if err != nil && onErr != nil {
			onErr(fmt.Errorf("emulator event %s %s: %w", ev.Type, ev.Subject, err))
		}
	})
}

// ---------------------------------------------------------------------------
// Event patterns (EventBridge "Event patterns"): a JSON object with the
// event's nested structure. Keys are ANDed; each leaf is an array of
// conditions ORed: a JSON value matches an equal value (strings exactly,
// case-sensitive; numbers numerically), and an object is an operator:
// prefix, suffix, contains, anything-but (a value, a list of values, or
// {prefix}/{suffix}), numeric ([op, n, op, n], op one of = < <= > >=), cidr
// (IPv4) and exists (true/false). An event array field matches when one of
// its elements does. Anything else is an error: the trigger is then not
// delivered to locally, rather than matched wrongly.

type eventPattern map[string]any

func parseEventPattern(s string) (eventPattern, error) {
	var p map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil || p == nil {
		if err == nil {
			err = errors.New("null")
		}
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if err := checkPattern(p, ""); err != nil {
		return nil, err
	}
	return p, nil
}

// checkPattern validates a pattern object, path naming where it is.
func checkPattern(p map[string]any, path string) error {
	if len(p) == 0 {
		return fmt.Errorf("%s: an empty object matches nothing useful", cmp.Or(path, "the pattern"))
	}
	for k, v := range p {
		at := strings.TrimPrefix(path+"."+k, ".")
		switch v := v.(type) {
		case map[string]any:
			if err := checkPattern(v, at); err != nil {
				return err
			}
		case []any:
			if len(v) == 0 {
				return fmt.Errorf("%s: an empty list matches nothing", at)
			}
			for _, c := range v {
				switch c := c.(type) {
				case map[string]any:
					if err := checkOperator(c, at); err != nil {
						return err
					}
				case []any:
					return fmt.Errorf("%s: a list inside a list, %s: want values or operator objects", at, jsonText(c))
				}
			}
		default:
			return fmt.Errorf("%s: want a list of values or a nested object, got %s", at, jsonText(v))
		}
	}
	return nil
}

func checkOperator(op map[string]any, at string) error {
	if len(op) != 1 {
		return fmt.Errorf("%s: an operator object has one key, got %s", at, jsonText(op))
	}
	for name, arg := range op {
		switch name {
		case "prefix", "suffix", "contains":
			if _, ok := arg.(string); !ok {
				return fmt.Errorf("%s: %s takes a string, got %s", at, name, jsonText(arg))
			}
		case "exists":
			if _, ok := arg.(bool); !ok {
				return fmt.Errorf("%s: exists takes true or false, got %s", at, jsonText(arg))
			}
		case "cidr":
			s, _ := arg.(string)
			if pfx, err := netip.ParsePrefix(s); err != nil || !pfx.Addr().Is4() {
				return fmt.Errorf("%s: cidr takes an IPv4 CIDR block, got %s", at, jsonText(arg))
			}
		case "numeric":
			if _, err := numericRange(arg); err != nil {
				return fmt.Errorf("%s: numeric: %v", at, err)
			}
		case "anything-but":
			switch a := arg.(type) {
			case string, json.Number:
			case []any:
				for _, x := range a {
					switch x.(type) {
					case string, json.Number:
					default:
						return fmt.Errorf("%s: anything-but lists strings or numbers, got %s", at, jsonText(x))
					}
				}
			case map[string]any:
				if len(a) != 1 || (a["prefix"] == nil && a["suffix"] == nil) {
					return fmt.Errorf("%s: anything-but takes a value, a list, {\"prefix\": …} or {\"suffix\": …}, got %s", at, jsonText(a))
				}
				for _, x := range a {
					if _, ok := x.(string); !ok {
						return fmt.Errorf("%s: anything-but %s takes a string", at, jsonText(a))
					}
				}
			default:
				return fmt.Errorf("%s: anything-but takes a value, a list, {\"prefix\": …} or {\"suffix\": …}, got %s", at, jsonText(arg))
			}
		default:
			return fmt.Errorf("%s: operator %q is not evaluated locally (prefix, suffix, contains, anything-but, numeric, cidr, exists are)", at, name)
		}
	}
	return nil
}

// match reports whether the event object matches the pattern.
func (p eventPattern) match(ev map[string]any) bool { return matchObject(p, ev) }

func matchObject(p, ev map[string]any) bool {
	for k, cond := range p {
		v, present := ev[k]
		switch c := cond.(type) {
		case map[string]any:
			sub, ok := v.(map[string]any)
			if !ok || !matchObject(c, sub) {
				return false
			}
		case []any:
			if !matchLeaf(c, v, present) {
				return false
			}
		}
	}
	return true
}

// matchLeaf: one of the conditions holds for the value (or, for an array
// value, for one of its elements).
func matchLeaf(conds []any, v any, present bool) bool {
	for _, c := range conds {
		if op, ok := c.(map[string]any); ok {
			if _, isExists := op["exists"]; isExists {
				if op["exists"].(bool) == present {
					return true
				}
				continue
			}
		}
		if !present {
			continue
		}
		vals := []any{v}
		if arr, ok := v.([]any); ok {
			vals = arr
		}
		for _, x := range vals {
			if matchCondition(c, x) {
				return true
			}
		}
	}
	return false
}

func matchCondition(c, v any) bool {
	op, ok := c.(map[string]any)
	if !ok {
		return equalJSON(c, v)
	}
	s, isString := v.(string)
	for name, arg := range op {
		switch name {
		case "prefix":
			return isString && strings.HasPrefix(s, arg.(string))
		case "suffix":
			return isString && strings.HasSuffix(s, arg.(string))
		case "contains":
			return isString && strings.Contains(s, arg.(string))
		case "cidr":
			pfx, _ := netip.ParsePrefix(arg.(string))
			addr, err := netip.ParseAddr(s)
			return isString && err == nil && pfx.Contains(addr)
		case "numeric":
			n, ok := v.(json.Number)
			if !ok {
				return false
			}
			f, err := n.Float64()
			if err != nil {
				return false
			}
			rng, _ := numericRange(arg)
			return rng(f)
		case "anything-but":
			switch a := arg.(type) {
			case []any:
				return !slices.ContainsFunc(a, func(x any) bool { return equalJSON(x, v) })
			case map[string]any:
				if !isString {
					return false
				}
				if p, ok := a["prefix"].(string); ok {
					return !strings.HasPrefix(s, p)
				}
				return !strings.HasSuffix(s, a["suffix"].(string))
			default:
				return !equalJSON(a, v)
			}
		}
	}
	return false
}

// equalJSON compares JSON values: numbers by value, the rest exactly.
func equalJSON(a, b any) bool {
	na, aNum := a.(json.Number)
	nb, bNum := b.(json.Number)
	if aNum || bNum {
		if !aNum || !bNum {
			return false
		}
		fa, e1 := na.Float64()
		fb, e2 := nb.Float64()
		return e1 == nil && e2 == nil && fa == fb
	}
	switch a.(type) {
	case map[string]any, []any:
		return false
	}
	return a == b
}

// numericRange reads ["op", n, ("op", n)] into a predicate.
func numericRange(arg any) (func(float64) bool, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return nil, fmt.Errorf("want [op, n] or [op, n, op, n], got %s", jsonText(arg))
	}
	var preds []func(float64) bool
	for i := 0; i < len(list); i += 2 {
		op, _ := list[i].(string)
		num, ok := list[i+1].(json.Number)
		if !ok {
			return nil, fmt.Errorf("%s is not a number", jsonText(list[i+1]))
		}
		n, err := num.Float64()
		if err != nil || math.IsInf(n, 0) {
			return nil, fmt.Errorf("%s is not a number", num)
		}
		switch op {
		case "=":
			preds = append(preds, func(f float64) bool { return f == n })
		case "<":
			preds = append(preds, func(f float64) bool { return f < n })
		case "<=":
			preds = append(preds, func(f float64) bool { return f <= n })
		case ">":
			preds = append(preds, func(f float64) bool { return f > n })
		case ">=":
			preds = append(preds, func(f float64) bool { return f >= n })
		default:
			return nil, fmt.Errorf("operator %s: want one of = < <= > >=", jsonText(list[i]))
		}
	}
	return func(f float64) bool {
		for _, p := range preds {
			if !p(f) {
				return false
			}
		}
		return true
	}, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
