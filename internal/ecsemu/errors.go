package ecsemu

import "fmt"

// apiError is an ECS error answer: an HTTP status and the Code/Message pair
// that goes into the error body.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// errorStatus is the one table that maps an ECS error code to the HTTP status
// the real service answers it with (the ECS API reference's error tables).
var errorStatus = map[string]int{
	"MissingParameter":                     400,
	"InvalidParameter":                     400,
	"InvalidParamater":                     400, // sic: the documented code for a bad SignatureMethod/Version
	"IncompleteSignature":                  400,
	"SignatureDoesNotMatch":                400,
	"SignatureNonceUsed":                   400,
	"InvalidTimeStamp.Expired":             400,
	"InvalidTimeStamp.Format":              400,
	"Throttling":                           400,
	"Throttling.User":                      400,
	"DryRunOperation":                      400,
	"InvalidAutoReleaseTime.Malformed":     400,
	"UnsupportedParameter":                 400,
	"IdempotentParameterMismatch":          400,
	"InvalidSnapshotName.Malformed":        400,
	"InvalidDescription.Malformed":         400,
	"NumberExceed.ResourceIds":             400,
	"NumberExceed.Tags":                    400,
	"Duplicate.TagKey":                     400,
	"InvalidTagKey.Malformed":              400,
	"InvalidTagValue.Malformed":            400,
	"InvalidTagCount":                      400,
	"InvalidParameter.PageSize":            400,
	"InvalidParameter.NextToken":           400,
	"InvalidParameter.InstanceIds":         400,
	"InvalidParameter.Amount":              400,
	"InvalidParameter.StoppedMode":         400,
	"InvalidParameter.BatchOptimization":   400,
	"InvalidParameter.DiskIds":             400,
	"InvalidParameter.TagValue":            400,
	"InvalidDiskType.ValueNotSupported":    400,
	"InvalidCategory.ValueNotSupported":    400,
	"InvalidStatus.ValueNotSupported":      400,
	"InvalidTag.Mismatch":                  400,
	"InvalidSnapshot.NotFound":             400,
	"InvalidRetentionDays.Malformed":       400,
	"InvalidDiskIds.Malformed":             403,
	"InvalidSnapshotIds.Malformed":         403,
	"InvalidSnapshotCategory.Malformed":    403,
	"InvalidParameter.MultiAttach":         403,
	"InvalidClientToken.Malformed":         403,
	"InvalidDiskChargeType.NotFound":       404,
	"InvalidSnapshotType.NotFound":         404,
	"InvalidSourceDiskType":                404,
	"InvalidUsage":                         404,
	"InvalidAccessKeyId.NotFound":          404,
	"InvalidInstanceId.NotFound":           404,
	"InvalidDiskId.NotFound":               404,
	"InvalidSnapshotId.NotFound":           404,
	"InvalidResourceId.NotFound":           404,
	"InvalidResourceType.NotFound":         404,
	"InvalidStatus.NotFound":               404,
	"InvalidInstanceChargeType.NotFound":   404,
	"InvalidLockReason.NotFound":           404,
	"MissingParameter.RegionId":            404,
	"MissingParameter.ResourceType":        404,
	"MissingParameter.Tags":                404,
	"NoSuchResource":                       404,
	"InvalidAction.NotFound":               404,
	"IncorrectInstanceStatus":              403,
	"IncorrectInstanceStatus.Initializing": 403,
	"InstanceLockedForSecurity":            403,
	"InvalidOperation.DeletionProtection":  403,
	"ChargeTypeViolation":                  403,
	"InvalidInstanceId.NotSupport":         403,
	"InstanceExpiredOrInArrears":           403,
	"OperationDenied.NoStock":              403, // UNCONFIRMED status: the OperationDenied family is 403
	"InvalidParameter.ToManyInstanceIds":   403,
	"IncorrectDiskStatus.CreatingSnapshot": 403,
	"QuotaExceed.Snapshot":                 403,
	"QuotaExceed.Tags":                     403,
	"InternalError":                        500,
	"ServiceUnavailable":                   503,

	// DescribePrice (its error table).
	"InvalidInstanceType.ValueNotSupported":            400,
	"InvalidInstanceType.Missing":                      404,
	"InvalidDiskCategory.Missing":                      404,
	"InvalidResourceType.ValueNotSupported":            400,
	"InvalidPriceUnit.ValueNotSupported":               400,
	"InvalidPeriod":                                    400,
	"InvalidAmount.Malformed":                          403,
	"InvalidInternetMaxBandwidthOut.ValueNotSupported": 400,
	"InvalidSystemDiskCategory.ValueNotSupported":      400,
	"InvalidDataDiskCategory.ValueNotSupported":        400,
	"InvalidSystemDiskSize.ValueNotSupported":          400,
	"InvalidDataDiskSize.ValueNotSupported":            400,
	"InvalidNetworkType.ValueNotSupported":             404,
	"InstanceDiskNumber.LimitExceed":                   400,
	"InvalidParameter.Conflict":                        400,
	"PriceNotFound":                                    400,

	// DescribeInstances filters.
	"InvalidInternetChargeType.ValueNotSupported": 404,
	"InvalidNetworkType.NotFound":                 404,
	"InvalidFilterKey.NotFound":                   404,
}

// errf builds an apiError with the status from errorStatus.
func errf(code, format string, args ...any) *apiError {
	status, ok := errorStatus[code]
	if !ok {
		status = 400
	}
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Messages as the ECS documentation words them.
const (
	msgInstanceNotFound   = "The specified InstanceId does not exist."
	msgIncorrectStatus    = "The current status of the resource does not support this operation."
	msgInitializing       = "The specified instance status does not support this operation."
	msgLocked             = "The specified operation is denied as your instance is locked for security reasons."
	msgChargeType         = "The operation is not permitted due to charge type of the instance."
	msgDryRun             = "Request validation has been passed with DryRun flag set."
	msgAutoReleaseInvalid = "The specified paramter autoReleaseTime is not valid."
	msgThrottled          = "Request was denied due to user flow control."
	msgInternal           = "The request processing has failed due to some unknown error, exception or failure."
	msgTooManyIDs         = "InstanceId should be less than 100."
)

func errMissing(name string) *apiError {
	return errf("MissingParameter", "The input parameter \"%s\" that is mandatory for processing this request is not supplied.", name)
}

func errInvalid(name string) *apiError {
	return errf("InvalidParameter", "The specified parameter \"%s\" is not valid.", name)
}

func errInstanceNotFound() *apiError { return errf("InvalidInstanceId.NotFound", msgInstanceNotFound) }
