// Command fclocal runs this project's Function Compute functions locally,
// wired as s.yaml says: the demo (no arguments) runs one scheduled cleanup
// cycle end to end against an in-process ECS emulator; `up` serves the
// timers, HTTP triggers and EventBridge triggers (the emulator's events,
// `put-event`); `invoke` runs one invocation. See
// `fclocal --help`; the logic is in internal/fclocal.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/fc-ecs-release/fc-ecs-release/internal/fclocal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := fclocal.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}
