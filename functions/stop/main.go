// Command stop is the ecs-stop function: it stops the instances a request
// selects (StoppedMode explicit, guards applied) and, with then:"release",
// hands them to ecs-release through its onSuccess destination.
package main

import (
	"os"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

func main() {
	handler.TuneMemory(os.Getenv)
	fc.Start(handler.NewStop(handler.Deps{}).Handle)
}
