// Package docs holds the project's documentation (the Markdown files in
// this directory) and, in its tests, the checks that keep every example in
// them true: each JSON, YAML and command block is parsed and validated for
// the function it names, and the worked examples run against the ECS
// emulator.
package docs
