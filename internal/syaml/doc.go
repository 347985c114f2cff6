// Package syaml reads and resolves the Serverless Devs file s.yaml once,
// for everything in this repository that needs it: the local runner
// (internal/fclocal), the deployment checks (deploy/) and cmd/syaml.
//
// # Layers
//
//   - Resolve parses the YAML and resolves it the way `s preview` renders
//     it: ${vars.x}, ${env('NAME', 'default')}, template + extend. The
//     result is a Document holding the file as written (Raw) and resolved
//     (Root), with line and column kept on every node.
//   - Decode fills typed structs (the top level, each resource, an fc3
//     resource's Props, its trigger configs) with yaml.v3's
//     Decoder.KnownFields(true): a misspelt or unknown key, or a value of
//     the wrong type, is an error naming file, line, column and key path.
//     Parse is Resolve then Decode.
//   - Project builds what the local runner runs (functions, triggers,
//     async destinations) and refuses what FC would reject or run
//     differently. Load is Parse then Project.
//   - RenderJSON prints the resolved file in the shape of
//     `s preview -o json`; .ci/syaml-preview.sh compares the two.
//
// Timer expressions are read by the sub-package cron.
//
// Every error is an *Error (or an ErrorList of them), e.g.
//
//	s.yaml:42:7: resources.stop.props.timeout: want an integer, got "abc"
//
// A value a resource inherits from a template is named by its template
// path: "template.goFunction.timeout (extended by resources.stop)".
package syaml
