package dev.spinup.controlplane.core;

/**
 * Why a call or an operation failed: the closed set of reasons of the API's {@code ErrorReason}
 * (spinup/v1/errors.proto), value for value, by name (without the proto's ERROR_REASON_ prefix). The
 * API edge maps one to the other by name;
 * {@code ErrorReasonMirrorTest} fails when the two sets differ. Stored by name (operations.error_reason).
 */
public enum ErrorReason {
    // request validation (INVALID_ARGUMENT)
    /** request_id is empty */
    REQUEST_ID_MISSING,
    /** request_id already used with different parameters */
    REQUEST_ID_REUSED,
    /** metadata "field" names the missing field */
    FIELD_REQUIRED,
    /** metadata "field" names the malformed field */
    FIELD_INVALID,
    UNKNOWN_FLAVOR,
    UNKNOWN_REGION,
    /** template not known or not offered by this installation */
    UNKNOWN_TEMPLATE,
    /** custom envelope outside the allowed bounds */
    ENVELOPE_INVALID,
    PAGE_TOKEN_INVALID,
    /** a negative page_size (one above the maximum is coerced to it) */
    PAGE_SIZE_INVALID,
    DOMAIN_INVALID,
    /** the request's body (or frame) is not a valid message of the RPC's type */
    MALFORMED_REQUEST,
    /** metadata "min" and "max" are the bounds, in seconds */
    TTL_OUT_OF_RANGE,
    /** the workspace has no such target (e.g. no IDE on its host), or the IDE made public */
    ACCESS_TARGET_INVALID,
    /** a page_token reused with other filters than the list it came from */
    PAGE_TOKEN_FILTERS_CHANGED,

    // lookups (NOT_FOUND)
    WORKSPACE_NOT_FOUND,
    OPERATION_NOT_FOUND,
    HOST_NOT_FOUND,
    DOMAIN_NOT_FOUND,
    /** metadata "name": no API token of that name */
    API_TOKEN_NOT_FOUND,
    REGION_NOT_FOUND,
    /** metadata "snapshotId": no such snapshot of that workspace */
    SNAPSHOT_NOT_FOUND,

    // lifecycle (ABORTED / FAILED_PRECONDITION / RESOURCE_EXHAUSTED)
    /** metadata "operationId" is the in-flight operation */
    OPERATION_IN_PROGRESS,
    /** metadata "state" and "verb" */
    INVALID_STATE_TRANSITION,
    /** no healthy host in the region has room */
    NO_CAPACITY,
    /** resize: the workspace's host cannot fit the new envelope */
    HOST_LACKS_ROOM,
    /** the flavor's maxDeploys ceiling is reached */
    FLAVOR_CEILING_EXCEEDED,
    DOMAIN_TAKEN,
    /** restore from archived: no verified snapshot to restore from */
    NO_VERIFIED_SNAPSHOT,
    /** an access grant needs an active workspace; metadata "state" */
    WORKSPACE_NOT_ACTIVE,
    /**
     * a grant for a port the workspace does not listen on; metadata "port", "previewPorts". The
     * edge's page for a preview name whose port is closed carries it too (502).
     */
    PORT_NOT_LISTENING,
    /**
     * ALREADY_EXISTS: a workspace that is not deleted has this external_workspace_id; metadata
     * "externalWorkspaceId", "workspaceId"
     */
    EXTERNAL_WORKSPACE_ID_IN_USE,

    // authentication and authorization
    /** UNAUTHENTICATED: no bearer token */
    TOKEN_MISSING,
    /** UNAUTHENTICATED: unknown or revoked token */
    TOKEN_INVALID,
    /** PERMISSION_DENIED: metadata "scope" is the missing scope */
    SCOPE_REQUIRED,
    /** UNAUTHENTICATED: agent RPC without a host certificate */
    CLIENT_CERTIFICATE_REQUIRED,
    /** PERMISSION_DENIED: a host spoke for another host id */
    HOST_IDENTITY_MISMATCH,
    ENROLLMENT_TOKEN_INVALID,
    ENROLLMENT_TOKEN_EXPIRED,
    ENROLLMENT_TOKEN_USED,
    /** UNAUTHENTICATED: the bearer token is past its expiry */
    TOKEN_EXPIRED,
    /** ALREADY_EXISTS: an API token (live or revoked) has this name; metadata "name" */
    API_TOKEN_NAME_TAKEN,
    /** an EC2 instance identity not signed by AWS, or of an instance not in service in a region's group */
    ENROLLMENT_IDENTITY_INVALID,
    /** the instance has enrolled a host already */
    ENROLLMENT_IDENTITY_USED,

    // access at the edge (HTTP 401 from a host's edge, never from the control plane)
    GRANT_MISSING,
    GRANT_EXPIRED,
    GRANT_REUSED,
    GRANT_WRONG_WORKSPACE,
    GRANT_SIGNATURE_INVALID,

    // operation failures (Operation.error)
    /** a step did not complete before its deadline */
    STEP_DEADLINE_EXCEEDED,
    /** the host agent reported the command failed */
    AGENT_COMMAND_FAILED,
    AGENT_RECONNECTED_WITHOUT_COMPLETION,
    SNAPSHOT_VERIFICATION_FAILED,
    /** the host was declared lost and is fenced: its sessions are refused, its steps fail at once */
    HOST_LOST,
    /** a lost host's workspace had no verified snapshot: archived with none (Workspace.state_reason) */
    NO_SNAPSHOT,

    // server side
    /** UNIMPLEMENTED: part of v1, not built in this release */
    NOT_IMPLEMENTED,
    /** INTERNAL: a bug; the log has the details under metadata "incident" */
    INTERNAL_ERROR,
    /** UNAVAILABLE: database or object storage unreachable; retry */
    DEPENDENCY_UNAVAILABLE;
}
