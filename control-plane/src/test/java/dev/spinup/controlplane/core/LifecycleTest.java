package dev.spinup.controlplane.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LifecycleTest {
    @Test
    void everyVerbHasATransition() {
        for (OperationVerb verb : OperationVerb.values()) {
            assertThat(Lifecycle.transition(verb)).as("%s", verb).isNotNull();
        }
    }

    @Test
    void nothingLeavesDeleted() {
        for (OperationVerb verb : OperationVerb.values()) {
            assertThat(Lifecycle.allows(verb, WorkspaceState.DELETED))
                    .as("%s from deleted", verb)
                    .isFalse();
        }
    }

    @Test
    void targetsFollowTheDesignTable() {
        assertThat(Lifecycle.target(OperationVerb.SUSPEND, WorkspaceState.ACTIVE))
                .contains(WorkspaceState.SUSPENDED);
        assertThat(Lifecycle.target(OperationVerb.SUSPEND, WorkspaceState.SUSPENDED))
                .isEmpty();
        assertThat(Lifecycle.target(OperationVerb.ARCHIVE, WorkspaceState.SUSPENDED))
                .contains(WorkspaceState.ARCHIVED);
        assertThat(Lifecycle.target(OperationVerb.RESTORE, WorkspaceState.ARCHIVED))
                .contains(WorkspaceState.ACTIVE);
        assertThat(Lifecycle.target(OperationVerb.RESTORE, WorkspaceState.ACTIVE))
                .isEmpty();
        assertThat(Lifecycle.target(OperationVerb.RESIZE, WorkspaceState.SUSPENDED))
                .contains(WorkspaceState.SUSPENDED);
        assertThat(Lifecycle.target(OperationVerb.DELETE, WorkspaceState.ARCHIVED))
                .contains(WorkspaceState.DELETED);
        assertThat(Lifecycle.target(OperationVerb.CREATE, WorkspaceState.ACTIVE))
                .contains(WorkspaceState.ACTIVE);
    }
}
