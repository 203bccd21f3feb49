package dev.spinup.controlplane.core;

import static dev.spinup.controlplane.core.WorkspaceState.ACTIVE;
import static dev.spinup.controlplane.core.WorkspaceState.ARCHIVED;
import static dev.spinup.controlplane.core.WorkspaceState.DELETED;
import static dev.spinup.controlplane.core.WorkspaceState.SUSPENDED;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The lifecycle table, in the one place it lives in code: which verb may start from which state
 * and where it leads. Everything else asks this class.
 */
public final class Lifecycle {
    /** {@code to == null} means the verb leaves the state as it is. */
    public record Transition(OperationVerb verb, Set<WorkspaceState> from, WorkspaceState to) {
        public Transition {
            from = Set.copyOf(from);
        }
    }

    private static final Map<OperationVerb, Transition> TABLE = new EnumMap<>(OperationVerb.class);

    static {
        // CREATE starts where no workspace exists yet.
        add(OperationVerb.CREATE, EnumSet.noneOf(WorkspaceState.class), ACTIVE);
        add(OperationVerb.SUSPEND, EnumSet.of(ACTIVE), SUSPENDED);
        add(OperationVerb.ARCHIVE, EnumSet.of(ACTIVE, SUSPENDED), ARCHIVED);
        add(OperationVerb.RESTORE, EnumSet.of(SUSPENDED, ARCHIVED), ACTIVE);
        add(OperationVerb.RESIZE, EnumSet.of(ACTIVE, SUSPENDED), null);
        add(OperationVerb.DELETE, EnumSet.of(ACTIVE, SUSPENDED, ARCHIVED), DELETED);
        add(OperationVerb.ADD_DOMAIN, EnumSet.of(ACTIVE, SUSPENDED, ARCHIVED), null);
        add(OperationVerb.REMOVE_DOMAIN, EnumSet.of(ACTIVE, SUSPENDED, ARCHIVED), null);
        add(OperationVerb.SNAPSHOT, EnumSet.of(ACTIVE), null);
        add(OperationVerb.REPAIR, EnumSet.of(ACTIVE, SUSPENDED), null);
        add(OperationVerb.SET_SHARING, EnumSet.of(ACTIVE, SUSPENDED, ARCHIVED), null);
        // RECOVER: active stays active (on another host, or archived when that fails); suspended is archived.
        add(OperationVerb.RECOVER, EnumSet.of(ACTIVE, SUSPENDED), null);
        add(OperationVerb.EVACUATE, EnumSet.of(ACTIVE, SUSPENDED), null);
    }

    private Lifecycle() {}

    private static void add(OperationVerb verb, Set<WorkspaceState> from, WorkspaceState to) {
        TABLE.put(verb, new Transition(verb, from, to));
    }

    public static Transition transition(OperationVerb verb) {
        return TABLE.get(verb);
    }

    public static boolean allows(OperationVerb verb, WorkspaceState from) {
        return TABLE.get(verb).from().contains(from);
    }

    /** The state after {@code verb} succeeds from {@code from}; empty if the verb is not allowed. */
    public static Optional<WorkspaceState> target(OperationVerb verb, WorkspaceState from) {
        if (verb != OperationVerb.CREATE && !allows(verb, from)) {
            return Optional.empty();
        }
        WorkspaceState to = TABLE.get(verb).to();
        return Optional.of(to == null ? from : to);
    }
}
