// Command release is the ecs-release function: the release saga (stop if
// needed, wait Stopped, snapshot if asked, release, verify, receipt) for
// instances named by events, stop's hand-over or HTTP calls.
package main

import (
	"os"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

func main() {
	handler.TuneMemory(os.Getenv)
	fc.Start(handler.NewRelease(handler.Deps{}).Handle)
}
