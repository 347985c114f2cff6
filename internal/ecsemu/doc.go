// Package ecsemu is a local emulator of the Alibaba Cloud ECS RPC API
// (version 2014-05-26), faithful enough that the official clients run
// against it unmodified: the classic github.com/aliyun/alibaba-cloud-sdk-go,
// the current github.com/alibabacloud-go/ecs-20140526/v7, the Node Tea SDK and
// pop-core.
//
// An *Emulator is an http.Handler over an in-memory store of instances,
// disks, snapshots and tags. It verifies signatures V1 (HMAC-SHA1) and V3
// (ACS3-HMAC-SHA256) before it takes its lock, refuses any parameter an
// action does not implement (so no answer is wider than ECS's), answers with
// typed JSON bodies in the official SDK's shape and ECS's error bodies (every
// field a string), runs the instance state machine with configurable
// delays, fires auto-release timers when its clock passes them, and injects
// faults (latency, throttling, 5xx, instances stuck in Stopping, failed
// snapshots) on demand. DescribePrice answers pay-as-you-go prices from a
// built-in price list that a fleet file, --prices or SetPrices override
// (prices.go). Its clock is injected (Options.Clock) and can be moved
// forward with Advance, so time-driven behaviour is tested without sleeping.
//
// Every call is recorded (Calls, CallCounts); tests use the record to prove,
// for example, that a dry run made no mutating call.
//
// It also models the real cloud's hazards: Auto Scaling groups and ACK node
// pools that replace (and release) what a caller stops or releases
// (platform.go), economical mode that some instances refuse or ignore and
// starts that find no stock (economical.go), spot instances interrupted with
// the Recycling lock and an EventBridge / CloudMonitor event on a local bus
// (events.go), every operation lock reason with what it refuses (locks.go),
// and instances in several regions. docs/emulator.md, "Hazards the emulator
// models", describes each.
//
// The package ecsemutest returns a real SDK *ecs.Client pointed at an
// httptest server running an Emulator. The binary cmd/ecs-emulator serves it
// on a TCP port. Where the ECS documentation leaves behaviour open, the
// choice made here is recorded in docs/emulator.md.
package ecsemu
