// Package request owns the one request model shared by the stop, release and
// autorelease functions, and the decoding of every trigger shape into it.
//
// It owns: the Request and Selector types and their JSON wire form; shape
// detection; one decoder per source (timer.go, fc_http.go, cloudevent.go,
// cloudevent_batch.go, job_record.go, ecs_event.go, spot_event.go
// (spot interruptions and CloudMonitor events), destination.go,
// aws_eventbridge.go, aws_http.go); instance references by ID or ARN
// (regions.go); field validation (Validate) and the
// per-function rules (ValidateFor); request-level errors (*Error); and
// answers in the caller's shape (Respond, RespondError).
//
// It does not own: merging a request with the deployment's configuration
// (defaults, "an event may only make a run safer"), guards, the
// auto-release window (30 min … 3 years) or truncation to the minute; the
// functions do that after Decode, then call ValidateFor.
//
// # Shape detection
//
// Decode first refuses payloads over MaxPayloadBytes (PayloadTooLarge, 413)
// without parsing them, and payloads that are not valid UTF-8 (as are
// base64-decoded HTTP bodies and CloudEvent data_base64): encoding/json
// would silently replace the bad bytes. A top-level JSON array is a batch
// of CloudEvents.
// A top-level object is classified by its keys, first match wins:
//
//  1. rawPath and requestContext: an HTTP event. version "v1" is the FC 3.0
//     HTTP trigger; "2.0" is AWS (see below); any other version is refused.
//  2. responseContext and (requestPayload or responsePayload): an FC async
//     destination record. (Both this and HTTP carry requestContext, so
//     requestContext alone decides nothing.)
//  3. specversion: a CloudEvent (EventBridge).
//  4. detail-type: an AWS EventBridge event.
//  5. triggerTime or triggerName: an FC timer event.
//  6. product and name, and content or resourceId: a CloudMonitor event
//     (ECS Instance:* events only, read as the ECS event of type
//     "ecs:"+name; see spot_event.go).
//  7. anything else: a bare request (direct invoke).
//
// Anything else (null, numbers, strings, invalid JSON, an empty payload) is
// refused. Detect applies the same rules without decoding, so that a decode
// error can still be answered in the caller's shape:
//
//	inv, err := request.Decode(payload)
//	if err != nil {
//		return request.Detect(payload).RespondError(err)
//	}
//
// API Gateway v2 vs Lambda function URL (both version "2.0"): a
// requestContext.domainName containing ".lambda-url." means function URL;
// otherwise a non-empty routeKey (top level or requestContext) means API
// Gateway; otherwise function URL (aws-lambda-go's LambdaFunctionURLRequest
// has no routeKey).
//
// # The request object
//
// Wherever a request object appears (bare, timer payload, HTTP body,
// CloudEvent data, EventBridge detail, destination responsePayload.next) it
// is decoded strictly: field names must match exactly (encoding/json's case
// folding is not accepted: "InstanceIds" is an unknown field, with a
// "did you mean" hint), unknown and repeated fields are refused, JSON types
// must match, and JSON null for the whole request is refused. Then:
// empty lists/maps become nil, jobStatus is trimmed and lower-cased, every
// field is validated (Validate), and repeated instance IDs are dropped
// keeping the first. MaxInstanceIDs (10,000) counts IDs as sent. Error
// positions refer to the input as sent.
//
// Choices where the references are vague:
//   - instance IDs: "i-" + 1..62 of [a-z0-9] (real IDs have about 20).
//     instanceIds (and a job record's instanceId(s), a status query's
//     instanceId) may also hold an instance ARN,
//     acs:ecs:REGION:ACCOUNT:instance/ID (ACCOUNT: 1..32 digits): the
//     functions look the instance up in that region first. One instance
//     named in two regions is refused; named bare and by ARN it counts
//     once, as the ARN (regions.go).
//   - spotInterruption: "delete" or "stop" (release only; not with force,
//     keepOnFailure or stoppedAt), set by a spot interruption event.
//   - region: lowercase letters and digits in dash-separated groups, at most
//     64 characters (e.g. cn-hangzhou, ap-southeast-1).
//   - an empty selector, or one with only chargeType, is refused: it would
//     match every instance.
//   - selector.tags: at most 20 (ECS's Tag.N limit); keys non-blank and at
//     most 128 characters; values at most 128 characters; "*" = any value;
//     no control characters; ECS's reserved prefixes refused (keys acs: or
//     aliyun…, values acs:…), since no instance can carry such a tag.
//   - selector.name: at most 256 characters, no control characters;
//     selector.status: exactly the ECS spelling (Pending, Running,
//     Starting, Stopping, Stopped).
//   - durations (after, olderThan): time.ParseDuration, strictly positive.
//   - autoReleaseTime: time.RFC3339 and ending in "Z" (fractional seconds
//     accepted; the autorelease function truncates).
//   - reason at most 1024 characters; originRequestId at most 256;
//     jobStatus at most 64 printable ASCII characters.
//   - stoppedAt (set by stop on its hand-over): RFC 3339 ending in "Z".
//   - autoScaling: "skip" (the default) or "include"; stoppedModeFallback:
//     "KeepCharging" or nothing (hazards.go).
//
// # Per-function rules (ValidateFor)
//
// stop: no autoReleaseTime/after/cancel/sweep; no force (use forceStop);
// snapshot only with then="release"; no stoppedAt. release: no
// autoReleaseTime/after/cancel/sweep; no then. autorelease: exactly one of autoReleaseTime/after/
// cancel, or sweep with none of them; stoppedMode, forceStop, force,
// snapshot, then, keepOnFailure, stoppedAt, autoScaling and
// stoppedModeFallback are refused. All: instanceIds or a
// selector must be given (sweep counts for autorelease), else "nothing to
// act on" naming instanceIds. Invocation.ValidateFor also refuses a status
// query (HTTP GET) for any function but autorelease (MethodNotAllowed) and
// names fields where they sit in the event ("payload.…", "body.…",
// "[2].data.…"). WithFunction runs it inside Decode.
//
// # Timer
//
// payload must be a string (or absent/null). Empty or blank means the
// default request {}; otherwise it must hold a request object. Other
// envelope keys are ignored.
//
// # HTTP (FC v1, API Gateway v2, function URL)
//
// POST and PUT: the body (base64-decoded when isBase64Encoded) is the
// request; an empty body is refused ({} is the explicit default). The
// Content-Type header and query parameters are not consulted. GET is a
// status query: ?instanceId=i-a,i-b (FC joins repeated keys with commas;
// blanks around IDs are trimmed, empty items refused) and an optional
// region; other query keys are refused; a body is ignored. Any other
// method is MethodNotAllowed (405). HTTPInfo.Headers has Authorization,
// Cookie and security-token headers replaced by "REDACTED".
//
// # CloudEvents and AWS EventBridge
//
// A CloudEvent needs specversion "1.0", source and type; id, subject and
// time are optional; extensions (aliyun*, datacontenttype, ...) are
// ignored. data may be inline JSON, a string holding JSON, or data_base64.
// A batch is an array whose elements are strings holding one CloudEvent
// each, or inline CloudEvent objects; one bad element fails the batch, and
// each element yields one Request (in order), with its envelope in Events.
//
// data (or EventBridge detail) is read, deterministically, as:
//  1. an ECS event when source is "acs.ecs" or type starts with "ecs:"
//     (CloudEvents only). Only "ecs:Instance:*" types are accepted. The
//     instance is taken from subject "acs:ecs:REGION:ACCOUNT:instance/ID"
//     and from data.resourceId, data.instanceId, data.content.resourceId,
//     data.content.instanceId (each a bare ID or an instance ARN); all
//     present must agree. The region is the first instance ARN's, else
//     data[.content].regionId, else aliyunregionid. data.state (or
//     data.content.state) is reported in EventInfo.State but not filtered
//     on: an EventBridge rule should match state "Stopped", and release
//     re-checks the state anyway. For ecs:Instance:PreemptibleInstanceInterruption
//     data[.content].action ("delete", "stop"; absent: delete) becomes
//     spotInterruption (spot_event.go). Other data fields are ignored.
//  2. a job-completion record when data has a "status" or "instanceId"
//     key (neither is a request field). It needs a non-empty status and
//     instanceId and/or instanceIds (merged). Tolerated extra keys:
//     jobId (string or number), jobName, jobType, exitCode, message,
//     startTime, endTime, time (read for logs or ignored), and region,
//     regionId, reason, keepOnFailure, snapshot, dryRun (passed into the
//     request). Any other key is refused. Without a reason, one is built:
//     "job ID (NAME) finished: STATUS".
//  3. otherwise a request object.
//
// Missing data is refused for non-ECS events. For requests and job records
// the region is not taken from the envelope (aliyunregionid is the event
// bus's region, not necessarily the instances').
//
// Job status values (after lower-casing), see Request.JobOutcome:
// success = succeeded, success, successful, completed, complete, done,
// finished, ok; failure = failed, failure, fail, error, errored, aborted,
// cancelled, canceled, timeout, timedout, timed_out, timed-out, killed,
// crashed, oom, oomkilled; anything else is JobUnknown. KeepAfterStop treats
// unknown like failed (keeping an instance is the reversible choice).
//
// # FC async destination record
//
// The record of a failed invocation is refused: a non-empty
// responseContext.functionError, or a responseContext.statusCode other than
// 200 (or missing). requestContext.condition is reported, not checked (its
// success value is undocumented). responsePayload may be inline JSON or a
// string holding JSON; its "next" member is the request, or a list of
// requests (stop hands over one per request of a batch, each with its own
// options; errors then name "responsePayload.next[i]"); other members are
// ignored. A responsePayload object without next (or with next null) is
// the answer of a source that had nothing to hand on: the error code is
// then NothingHandedOver, which the receiver treats as "nothing to do". An
// answer in the FC HTTP trigger's shape (an HTTP call sent with
// X-Fc-Invocation-Type: Async) is unwrapped: next is read from its body
// (base64 when isBase64Encoded); a non-2xx answer hands nothing on. requestPayload is not read.
// originRequestId defaults to requestContext.requestId.
//
// # Errors and answers
//
// Every decode error is an *Error (Code, Field, Message) and comes with a
// nil Invocation. Field is the JSON path in the event, e.g.
// "body.instanceIds[3]", "[1].data.status", `selector.tags["env"]`.
// Respond and RespondError answer HTTP sources with
// events.HTTPTriggerResponse (FC), events.APIGatewayV2HTTPResponse or
// events.LambdaFunctionURLResponse, a JSON body and a nil error, also for
// errors (4xx/5xx with {"error":{"code","field","message"}}), so FC does
// not retry a bad request. Every other source gets the body as is, and an
// error back as the Go error.
package request
