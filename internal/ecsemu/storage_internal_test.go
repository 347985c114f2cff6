package ecsemu

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storageActions are the disk, snapshot and tag actions with the official
// SDK's response model of each.
var storageActions = map[string]any{
	"DescribeDisks":     ecs7.DescribeDisksResponseBody{},
	"CreateSnapshot":    ecs7.CreateSnapshotResponseBody{},
	"DescribeSnapshots": ecs7.DescribeSnapshotsResponseBody{},
	"TagResources":      ecs7.TagResourcesResponseBody{},
	"UntagResources":    ecs7.UntagResourcesResponseBody{},
	"ListTagResources":  ecs7.ListTagResourcesResponseBody{},
}

// storageRefused are the documented parameters these actions refuse (400
// Emulator.UnsupportedParameter), written out so that a change is seen.
var storageRefused = map[string][]string{
	"DescribeDisks": {"AdditionalAttributes.N", "DeleteAutoSnapshot", "EnableAutoSnapshot", "Filter.N.Key", "Filter.N.Value",
		"LockReason", "OwnerAccount", "OwnerId", "ResourceGroupId", "ResourceOwnerAccount", "ResourceOwnerId"},
	"CreateSnapshot": {"Category", "InstantAccess", "InstantAccessRetentionDays", "OwnerAccount", "OwnerId", "ResourceGroupId",
		"ResourceOwnerAccount", "ResourceOwnerId", "StorageLocationArn"},
	"DescribeSnapshots": {"Filter.N.Key", "Filter.N.Value", "OwnerAccount", "OwnerId", "ResourceGroupId", "ResourceOwnerAccount",
		"ResourceOwnerId", "SnapshotLinkId"},
	"TagResources":     {"OwnerAccount", "OwnerId", "ResourceOwnerAccount"},
	"UntagResources":   {"OwnerAccount", "OwnerId", "ResourceOwnerAccount", "ResourceOwnerId"},
	"ListTagResources": {"OwnerAccount", "OwnerId", "ResourceOwnerAccount", "ResourceOwnerId"},
}

// Every parameter of the six actions' official request models is either
// implemented or refused by name, and every implemented parameter is a
// documented one (the emulator invents none).
func TestStorageParamsAreDocumentedOrRefused(t *testing.T) {
	for name := range storageActions {
		t.Run(name, func(t *testing.T) {
			def := actions[name]
			documented := documentedParams(reflect.TypeOf(documentedRequests[name]), "")
			pc := newParamChecker(def.params)
			var refused []string
			for _, p := range documented {
				wire := strings.ReplaceAll(p, ".N", ".1")
				if pc.accepts(wire) {
					continue
				}
				refused = append(refused, p)
				err := checkParams(name, params{"Action": name, wire: "x"})
				require.NotNil(t, err, wire)
				assert.Equal(t, "Emulator.UnsupportedParameter", err.Code)
				assert.Equal(t, 400, err.Status)
				assert.Contains(t, err.Message, wire)
			}
			assert.Equal(t, storageRefused[name], refused)
			for _, p := range def.params {
				assert.True(t, slices.Contains(documented, p), "%s implements %s, which its official request model does not have", name, p)
			}
		})
	}
}

// Every field the typed answers write exists in the official SDK's
// response model, with the same JSON type.
func TestStorageAnswersAreInTheOfficialModels(t *testing.T) {
	for name, model := range storageActions {
		t.Run(name, func(t *testing.T) {
			resp := actions[name].resp
			require.NotNil(t, resp, "%s has no typed answer", name)
			compareJSONShape(t, name, reflect.TypeOf(resp), reflect.TypeOf(model))
		})
	}
}

// jsonFields maps the JSON names of a struct's fields (embedded structs
// flattened) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		if f.Anonymous {
			maps.Copy(out, jsonFields(f.Type))
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// jsonKind is the JSON type a Go type encodes to.
func jsonKind(t reflect.Type) string {
	switch deref(t).Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "array"
	case reflect.Struct:
		return "object"
	}
	return deref(t).Kind().String()
}

func compareJSONShape(t *testing.T, path string, ours, theirs reflect.Type) {
	ours, theirs = deref(ours), deref(theirs)
	switch jsonKind(ours) {
	case "object":
		want := jsonFields(theirs)
		for name, ft := range jsonFields(ours) {
			wt, ok := want[name]
			if !assert.True(t, ok, "%s.%s is not in the official model", path, name) {
				continue
			}
			if !assert.Equal(t, jsonKind(wt), jsonKind(ft), "%s.%s", path, name) {
				continue
			}
			compareJSONShape(t, path+"."+name, ft, wt)
		}
	case "array":
		compareJSONShape(t, path+"[]", ours.Elem(), theirs.Elem())
	}
}
