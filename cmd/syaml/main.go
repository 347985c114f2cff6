// Command syaml reads the Serverless Devs file s.yaml with internal/syaml,
// the reader the local runner (fclocal) and the deployment checks share.
//
//	syaml render [--file s.yaml]
//
// prints the resolved file as JSON in the shape `s preview -o json`
// prints (vars and ${env(...)} resolved from the environment, props merged
// over their template); .ci/syaml-preview.sh compares the two. See
// `syaml --help`.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}
