package dev.spinup.agent.drivers;

/**
 * A workspace as this host sees it. {@code endpoint} (its app) and {@code ideEndpoint} (its IDE,
 * on hosts that run one) are empty unless it is running.
 */
public record LocalWorkspace(String workspaceId, State state, String endpoint, String ideEndpoint, WorkspaceSpec spec) {
    public enum State {
        PROVISIONED,
        RUNNING,
        STOPPED
    }
}
