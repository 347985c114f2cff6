// Package e2e runs the three real function binaries, built with go build,
// under a local implementation of FC's Go runtime API (internal/fcruntime)
// against the ECS emulator: what an operator deploys, exercised the way FC
// runs it. The tests are in *_test.go; this file only names the package.
package e2e
