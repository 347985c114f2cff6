package ecsemu

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// A small local event bus: what ECS would publish to EventBridge (and
// CloudMonitor) when the platform acts on an instance. Events are
// recorded (Events, GET /_emulator/events) and handed to subscribers
// (Subscribe) right after the emulator's lock is released, in the order
// they were emitted, on the goroutine that made the change: when the call
// that caused an event returns (an SDK call, SpotInterrupt, Advance), its
// subscribers have been called. A subscriber may call the emulator.

// Event types.
const (
	// EventSpotInterruption: a spot instance is interrupted and will be
	// released in SpotNoticePeriod.
	EventSpotInterruption = "ecs:Instance:PreemptibleInstanceInterruption"
)

// DefaultAccountID is the account that owns the emulator's resources, as
// it appears in ARNs and event envelopes (Options.AccountID).
const DefaultAccountID = "1234567890123456"

// maxRecordedEvents bounds Events.
const maxRecordedEvents = 10_000

// Event is one emitted event in the form Alibaba Cloud EventBridge
// delivers an ECS event: a CloudEvents 1.0 envelope (id, source,
// specversion, type, subject, time, datacontenttype) with EventBridge's
// extension attributes (aliyunaccountid, aliyunpublishtime,
// aliyuneventbusname, aliyunregionid) and the event's data. The subject
// is the instance ARN acs:ecs:<region>:<account>:instance/<id>. For
// ecs:Instance:PreemptibleInstanceInterruption, data is
// {"instanceId":"i-…","action":"delete"} (UNCONFIRMED: the EventBridge
// event reference's data of that event was not found; this is the
// content of the CloudMonitor form). CloudMonitor renders the same event
// in its own form.
type Event struct {
	ID                 string          `json:"id"`
	Source             string          `json:"source"`
	SpecVersion        string          `json:"specversion"`
	Type               string          `json:"type"`
	Subject            string          `json:"subject"`
	Time               string          `json:"time"`
	DataContentType    string          `json:"datacontenttype"`
	AliyunAccountID    string          `json:"aliyunaccountid"`
	AliyunPublishTime  string          `json:"aliyunpublishtime"`
	AliyunEventBusName string          `json:"aliyuneventbusname"`
	AliyunRegionID     string          `json:"aliyunregionid"`
	Data               json.RawMessage `json:"data"`

	// For the CloudMonitor form.
	at           time.Time
	level, name  string
	instanceName string
}

// CloudMonitorEvent is an event in the form CloudMonitor's system-event
// notifications use (the ECS "instance event notifications" samples):
// product ECS, the instance ARN as resourceId, a level, the event name
// without the "ecs:" prefix, the region, the account as userId, the time
// as yyyyMMddTHHmmss.SSS+zone and the data as content.
type CloudMonitorEvent struct {
	ID           string          `json:"id"`
	Product      string          `json:"product"`
	ResourceID   string          `json:"resourceId"`
	Level        string          `json:"level"`
	InstanceName string          `json:"instanceName"`
	RegionID     string          `json:"regionId"`
	Name         string          `json:"name"`
	UserID       string          `json:"userId"`
	EventTime    string          `json:"eventTime"`
	Content      json.RawMessage `json:"content"`
}

// CloudMonitor renders the event in CloudMonitor's form.
func (ev Event) CloudMonitor() CloudMonitorEvent {
	return CloudMonitorEvent{
		ID: ev.ID, Product: "ECS", ResourceID: ev.Subject, Level: ev.level, InstanceName: ev.instanceName,
		RegionID: ev.AliyunRegionID, Name: ev.name, UserID: ev.AliyunAccountID,
		EventTime: ev.at.UTC().Format("20060102T150405.000-0700"), Content: slices.Clone(ev.Data),
	}
}

// InstanceARN is the ARN ECS gives an instance.
func InstanceARN(region, account, id string) string {
	return fmt.Sprintf("acs:ecs:%s:%s:instance/%s", region, account, id)
}

// instanceEvent builds an ECS event about an instance; callers hold e.mu.
func (e *Emulator) instanceEvent(in *instance, at time.Time, typ, level string, data any) Event {
	raw, _ := json.Marshal(data)
	name := typ
	if len(name) > len("ecs:") && name[:len("ecs:")] == "ecs:" {
		name = name[len("ecs:"):]
	}
	return Event{
		ID: newRequestID(), Source: "acs.ecs", SpecVersion: "1.0", Type: typ,
		Subject: InstanceARN(in.region, e.opts.AccountID, in.id),
		Time:    at.UTC().Format(time.RFC3339), DataContentType: "application/json;charset=utf-8",
		AliyunAccountID: e.opts.AccountID, AliyunPublishTime: at.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		AliyunEventBusName: "default", AliyunRegionID: in.region, Data: raw,
		at: at, level: level, name: name, instanceName: in.name,
	}
}

// emit records an event and queues it for the subscribers; callers hold
// e.mu (its Unlock delivers).
func (e *Emulator) emit(ev Event) {
	if len(e.events) >= maxRecordedEvents {
		e.events = e.events[1:]
	}
	e.events = append(e.events, ev)
	e.mu.pending = append(e.mu.pending, ev)
}

// Events returns the events emitted so far (at most the latest 10,000),
// in order.
func (e *Emulator) Events() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.tick(e.now())
	return slices.Clone(e.events)
}

// ResetEvents forgets the recorded events (subscribers stay).
func (e *Emulator) ResetEvents() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.events = nil
}

// Subscribe calls fn with every event emitted from now on, until the
// returned function is called.
func (e *Emulator) Subscribe(fn func(Event)) (unsubscribe func()) {
	return e.bus.subscribe(fn)
}

// emuMutex is the emulator's lock: its Unlock hands the events emitted
// while it was held to the bus, after releasing it.
type emuMutex struct {
	sync.Mutex
	pending []Event
	bus     *eventBus
	// st is the emulator's store: whoever takes the lock with Lock may
	// change it, so Lock tells it (store.changed). Only the path of an API
	// call (drawSpike, handle), which knows when it changes the store,
	// takes the lock with lockCall.
	st *store
}

// Lock takes the lock and counts the store as changed: what was
// remembered of it (its listings) is stale.
func (m *emuMutex) Lock() {
	m.Mutex.Lock()
	if m.st != nil {
		m.st.changed()
	}
}

// lockCall takes the lock for an API call, which calls store.changed
// itself when it may change the store (a mutating action; a tick pass).
func (m *emuMutex) lockCall() { m.Mutex.Lock() }

// Unlock releases the lock, then delivers the pending events.
func (m *emuMutex) Unlock() {
	pending := m.pending
	m.pending = nil
	m.Mutex.Unlock()
	if len(pending) > 0 && m.bus != nil {
		m.bus.deliver(pending)
	}
}

// eventBus delivers events to subscribers in emission order: the
// goroutine that finds no delivery under way drains the queue, the others
// only queue.
type eventBus struct {
	mu         sync.Mutex
	subs       []subscriber
	nextID     int
	queue      []Event
	delivering bool
}

type subscriber struct {
	id int
	fn func(Event)
}

func (b *eventBus) subscribe(fn func(Event)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	id := b.nextID
	b.subs = append(b.subs, subscriber{id: id, fn: fn})
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.subs = slices.DeleteFunc(b.subs, func(s subscriber) bool { return s.id == id })
	}
}

func (b *eventBus) deliver(evs []Event) {
	b.mu.Lock()
	b.queue = append(b.queue, evs...)
	if b.delivering {
		b.mu.Unlock()
		return
	}
	b.delivering = true
	for len(b.queue) > 0 {
		ev := b.queue[0]
		b.queue = b.queue[1:]
		subs := slices.Clone(b.subs)
		b.mu.Unlock()
		for _, s := range subs {
			s.fn(ev)
		}
		b.mu.Lock()
	}
	b.delivering = false
	b.mu.Unlock()
}

// SpotInterrupt interrupts a spot instance as ECS reclaims one: it gets
// the operation lock Recycling, the interruption event
// (EventSpotInterruption, action delete) is emitted, and the instance is
// released SpotNoticePeriod (five minutes) of emulator time later, its
// disks as DeleteWithInstance says. Not a spot instance, or already
// interrupted: an error, nothing happens.
func (e *Emulator) SpotInterrupt(id string) error {
	return e.operate(id, func(in *instance, now time.Time) error {
		if !in.isSpot() {
			return fmt.Errorf("ecsemu: instance %s is not a spot instance (SpotStrategy %s)", id, in.spotStrategy)
		}
		if !in.recycleAt.IsZero() {
			return fmt.Errorf("ecsemu: spot instance %s is already interrupted", id)
		}
		in.setLock(LockRecycling, "", true)
		in.recycleAt = now.Add(SpotNoticePeriod)
		e.st.due(in, in.recycleAt)
		e.emit(e.instanceEvent(in, now, EventSpotInterruption, "WARN", struct {
			InstanceID string `json:"instanceId"`
			Action     string `json:"action"`
		}{in.id, "delete"}))
		return nil
	})
}

// SetNoStock makes StartInstance(s) of an instance stopped in economical
// mode answer 403 OperationDenied.NoStock (on=false: the stock is back).
func (e *Emulator) SetNoStock(id string, on bool) error {
	return e.operate(id, func(in *instance, now time.Time) error {
		in.noStock = on
		return nil
	})
}

// SetEconomicalMode overrides what a StopCharging stop does to an
// instance (one of EconomicalModes; "" goes back to the derived value).
func (e *Emulator) SetEconomicalMode(id, mode string) error {
	if mode != "" && !slices.Contains(EconomicalModes, mode) {
		return fmt.Errorf("ecsemu: EconomicalMode %q is not one of %v", mode, EconomicalModes)
	}
	return e.operate(id, func(in *instance, now time.Time) error {
		in.econMode = mode
		return nil
	})
}
