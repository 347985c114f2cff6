// Package ecsemu is a local emulator of the Alibaba Cloud ECS RPC API
// (version 2014-05-26), faithful enough that the unmodified
// github.com/aliyun/alibaba-cloud-sdk-go client runs against it.
//
// An *Emulator is an http.Handler over an in-memory store of instances,
// disks, snapshots and tags. It verifies signature v1 exactly as the real
// gateway does, answers with the JSON bodies and error bodies (every field a
// string) that ECS sends, runs the instance state machine with configurable
// delays, fires auto-release timers when its clock passes them, and injects
// faults (latency, throttling, 5xx, instances stuck in Stopping, failed
// snapshots) on demand. Its clock is injected (Options.Clock) and can be moved
// forward with Advance, so time-driven behaviour is tested without sleeping.
//
// Every call is recorded (Calls, CallCounts); tests use the record to prove,
// for example, that a dry run made no mutating call.
//
// The package ecsemutest returns a real SDK *ecs.Client pointed at an
// httptest server running an Emulator. The binary cmd/ecs-emulator serves it
// on a TCP port. Where the ECS documentation leaves behaviour open, the
// choice made here is recorded in docs/emulator.md.
package ecsemu
