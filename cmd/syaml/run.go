package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/fc-ecs-release/fc-ecs-release/internal/syaml"
)

const usage = `Usage:
  syaml render [--file s.yaml]

Commands:
  render   resolve s.yaml (vars, ${env(...)} from the environment, template +
           extend) and print it as JSON, in the shape Serverless Devs'
           "s preview -o json" prints; the file is also decoded strictly, so
           an unknown key or a value of the wrong type fails with its line

Flags:
  --file PATH   the s.yaml to read (default s.yaml in the current directory)

Unlike s preview, no .env file is read: set variables in the environment.
Exit status: 0 on success, 1 when the file cannot be read or resolved, 2 on
a usage error.
`

// run is the command, minus the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer, lookup syaml.LookupEnv) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "render":
		return render(args[1:], stdout, stderr, lookup)
	}
	fmt.Fprintf(stderr, "syaml: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func render(args []string, stdout, stderr io.Writer, lookup syaml.LookupEnv) int {
	fs := flag.NewFlagSet("syaml render", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("file", "s.yaml", "the s.yaml to read")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "syaml render: %v\n\n%s", err, usage)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "syaml render: unexpected argument %q\n\n%s", fs.Arg(0), usage)
		return 2
	}
	doc, err := syaml.ParseFile(*file, lookup)
	if err == nil {
		var out []byte
		if out, err = doc.RenderJSON(); err == nil {
			_, err = stdout.Write(out)
		}
	}
	if err != nil {
		for line := range strings.SplitSeq(err.Error(), "\n") {
			fmt.Fprintf(stderr, "syaml: %s\n", line)
		}
		return 1
	}
	return 0
}
