package dev.spinup.controlplane.core;

/** How a host's edge answers a workspace's names. */
public enum EdgeMode implements WireValue {
    /** To the workspace's app on this host. */
    PROXY,
    /** "Not running right now" (suspended, or not started yet). */
    SUSPENDED_PAGE,
    ARCHIVED_PAGE,
    /** 404: the workspace was deleted. */
    TOMBSTONE,
    /** To the edge of the host the workspace lives on now (this is its home, where its DNS points). */
    FORWARD;

    /** How a workspace in {@code state}, on this host, is routed. */
    public static EdgeMode of(WorkspaceState state) {
        return switch (state) {
            case ACTIVE -> PROXY;
            case SUSPENDED -> SUSPENDED_PAGE;
            case ARCHIVED -> ARCHIVED_PAGE;
            case DELETED -> TOMBSTONE;
        };
    }

    @Override
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
