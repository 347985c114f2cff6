// Command autorelease is the ecs-autorelease function: it sets, extends or
// cancels native auto-release times, sweeps TTL-tagged instances so they
// are released even if these functions never run again, and reports the
// current setting over HTTP GET.
package main

import (
	"os"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

func main() {
	handler.TuneMemory(os.Getenv)
	fc.Start(handler.NewAutoRelease(handler.Deps{}).Handle)
}
