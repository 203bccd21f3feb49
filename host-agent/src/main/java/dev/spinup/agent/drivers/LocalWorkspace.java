package dev.spinup.agent.drivers;

/** A workspace as this host sees it. {@code endpoint} is empty unless it is running. */
public record LocalWorkspace(String workspaceId, State state, String endpoint, WorkspaceSpec spec) {
    public enum State {
        PROVISIONED,
        RUNNING,
        STOPPED
    }
}
