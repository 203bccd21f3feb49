package dev.spinup.agent.drivers;

import static java.util.Objects.requireNonNull;

/** What a workspace is made of: its id, template, name and resource envelope. */
public record WorkspaceSpec(String workspaceId, String template, String displayName, int vcpu, int ramGb, int diskGb) {
    public WorkspaceSpec {
        requireNonNull(workspaceId, "workspaceId");
        requireNonNull(template, "template");
        requireNonNull(displayName, "displayName");
    }
}
