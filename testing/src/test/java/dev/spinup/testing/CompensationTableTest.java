package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationStep;
import dev.spinup.api.v1.StepStatus;
import dev.spinup.api.v1.Workspace;
import dev.spinup.api.v1.WorkspaceState;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.engine.StepTimeouts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The compensation table, as a test: every agent step of every verb is made to fail on the host
 * (once, or every time), through the real agent, and the operation must end as the table says —
 * rolled back by the undos of what began, in reverse, before the verb's point of no return;
 * retried forward from it on, and at its deadline FAILED with the workspace in the verb's target
 * state — with the host matching the workspace's state. The README's table is the code's own
 * rendering of the plans, and {@link #SPEC} below is what a reader of that table expects.
 */
class CompensationTableTest {
    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;
    static final FailingCommands failing = new FailingCommands();

    static final int ONCE = 1;
    static final int ALWAYS = Integer.MAX_VALUE;

    /**
     * @param from     the state the workspace starts in (null: CREATE)
     * @param rollback the undo steps the operation's timeline shows, in the order they ran
     * @param local    what the host has of the workspace afterwards
     */
    record Case(
            String verb,
            String from,
            String failing,
            int times,
            OperationStatus status,
            List<String> rollback,
            WorkspaceState state,
            Local local) {
        @Override
        public String toString() {
            return verb + (from == null ? "" : " from " + from) + ", " + failing + " fails "
                    + (times == ONCE ? "once" : "every time");
        }
    }

    /** Running (its app answers), stopped (its disk kept), or gone. */
    enum Local {
        RUNNING,
        STOPPED,
        GONE
    }

    static final Local RUNNING = Local.RUNNING;
    static final Local STOPPED = Local.STOPPED;
    static final Local GONE = Local.GONE;
    static final OperationStatus ROLLED_BACK = OperationStatus.OPERATION_STATUS_ROLLED_BACK;
    static final OperationStatus FAILED = OperationStatus.OPERATION_STATUS_FAILED;
    static final OperationStatus SUCCEEDED = OperationStatus.OPERATION_STATUS_SUCCEEDED;
    static final List<String> RESTORE_ARCHIVED_UNDO =
            List.of("discard", "release", "routes_back", "new_host_routes", "home_routes_back");

    static final List<Case> SPEC = List.of(
            new Case(
                    "create",
                    null,
                    "provision",
                    ALWAYS,
                    ROLLED_BACK,
                    List.of("destroy"),
                    WorkspaceState.WORKSPACE_STATE_DELETED,
                    GONE),
            new Case(
                    "create",
                    null,
                    "start",
                    ALWAYS,
                    ROLLED_BACK,
                    List.of("destroy"),
                    WorkspaceState.WORKSPACE_STATE_DELETED,
                    GONE),
            new Case(
                    "create",
                    null,
                    "routes",
                    ALWAYS,
                    ROLLED_BACK,
                    List.of("tombstone", "destroy"),
                    WorkspaceState.WORKSPACE_STATE_DELETED,
                    GONE),
            new Case(
                    "suspend",
                    "active",
                    "stop",
                    ALWAYS,
                    ROLLED_BACK,
                    List.of("restart"),
                    WorkspaceState.WORKSPACE_STATE_ACTIVE,
                    RUNNING),
            new Case(
                    "suspend",
                    "active",
                    "routes",
                    ALWAYS,
                    ROLLED_BACK,
                    List.of("routes_back", "restart"),
                    WorkspaceState.WORKSPACE_STATE_ACTIVE,
                    RUNNING),
            new Case(
                    "archive",
                    "active",
                    "stop",
                    ALWAYS,
                    ROLLED_BACK,
                    List.of("restart"),
                    WorkspaceState.WORKSPACE_STATE_ACTIVE,
                    RUNNING),
            new Case(
                    "archive",
                    "active",
                    "snapshot",
                    ALWAYS,
                    ROLLED_BACK,
                    List.of("discard_snapshot", "restart"),
                    WorkspaceState.WORKSPACE_STATE_ACTIVE,
                    RUNNING),
            new Case(
                    "archive",
                    "active",
                    "wipe",
                    ONCE,
                    SUCCEEDED,
                    List.of(),
                    WorkspaceState.WORKSPACE_STATE_ARCHIVED,
                    GONE),
            new Case(
                    "archive",
                    "active",
                    "routes",
                    ONCE,
                    SUCCEEDED,
                    List.of(),
                    WorkspaceState.WORKSPACE_STATE_ARCHIVED,
                    GONE),
            // the wipe never happened (it failed before its effect): the disk is still there, stopped
            new Case(
                    "archive",
                    "active",
                    "wipe",
                    ALWAYS,
                    FAILED,
                    List.of(),
                    WorkspaceState.WORKSPACE_STATE_ARCHIVED,
                    STOPPED),
            new Case(
                    "archive",
                    "active",
                    "routes",
                    ALWAYS,
                    FAILED,
                    List.of(),
                    WorkspaceState.WORKSPACE_STATE_ARCHIVED,
                    GONE),
            new Case(
                    "archive",
                    "suspended",
                    "snapshot",
                    ALWAYS,
                    ROLLED_BACK,
                    List.of("discard_snapshot"),
                    WorkspaceState.WORKSPACE_STATE_SUSPENDED,
                    STOPPED),
            new Case(
                    "restore",
                    "suspended",
                    "start",
                    ALWAYS,
                    ROLLED_BACK,
                    List.of("stop_back"),
                    WorkspaceState.WORKSPACE_STATE_SUSPENDED,
                    STOPPED),
            new Case(
                    "restore",
                    "suspended",
                    "routes",
                    ALWAYS,
                    ROLLED_BACK,
                    List.of("routes_back", "stop_back"),
                    WorkspaceState.WORKSPACE_STATE_SUSPENDED,
                    STOPPED),
            new Case(
                    "restore",
                    "archived",
                    "download",
                    ALWAYS,
                    ROLLED_BACK,
                    RESTORE_ARCHIVED_UNDO,
                    WorkspaceState.WORKSPACE_STATE_ARCHIVED,
                    GONE),
            new Case(
                    "restore",
                    "archived",
                    "start",
                    ALWAYS,
                    ROLLED_BACK,
                    RESTORE_ARCHIVED_UNDO,
                    WorkspaceState.WORKSPACE_STATE_ARCHIVED,
                    GONE),
            new Case(
                    "restore",
                    "archived",
                    "routes",
                    ALWAYS,
                    ROLLED_BACK,
                    RESTORE_ARCHIVED_UNDO,
                    WorkspaceState.WORKSPACE_STATE_ARCHIVED,
                    GONE),
            new Case(
                    "resize",
                    "active",
                    "resize",
                    ALWAYS,
                    ROLLED_BACK,
                    List.of("restore_envelope"),
                    WorkspaceState.WORKSPACE_STATE_ACTIVE,
                    RUNNING),
            new Case(
                    "delete",
                    "active",
                    "destroy",
                    ALWAYS,
                    FAILED,
                    List.of(),
                    WorkspaceState.WORKSPACE_STATE_ACTIVE,
                    RUNNING),
            new Case(
                    "delete",
                    "active",
                    "tombstone",
                    ONCE,
                    SUCCEEDED,
                    List.of(),
                    WorkspaceState.WORKSPACE_STATE_DELETED,
                    GONE),
            new Case(
                    "delete",
                    "active",
                    "tombstone",
                    ALWAYS,
                    FAILED,
                    List.of(),
                    WorkspaceState.WORKSPACE_STATE_DELETED,
                    GONE));

    @RegisterExtension
    static final SpinUpExtension spinup =
            SpinUpExtension.with(b -> b.agentHooks(failing).stepTimeouts(timeouts()));

    /**
     * Short deadlines for the steps a verb retries forward (wipe and destroy, routes and
     * tombstone), so "every time" reaches its deadline quickly; the others keep room to start apps.
     */
    private static StepTimeouts timeouts() {
        Duration slow = Duration.ofSeconds(60);
        Duration quick = Duration.ofSeconds(6);
        return new StepTimeouts(slow, slow, slow, quick, quick, slow, slow, slow, slow, slow);
    }

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = cluster.startAgent(new Envelope(16, 32, 200));
    }

    static Stream<Case> cases() {
        return SPEC.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aFailedStepEndsTheOperationAsTheTableSays(Case c) {
        String ws = c.from() == null ? null : workspaceIn(c.from());
        failing.arm(c.failing(), ws, c.times());
        Operation done;
        try {
            done = Workspaces.awaitDone(
                    cluster.product(),
                    Workspaces.request(cluster.product(), c.verb(), ws).getId());
        } finally {
            failing.disarm();
        }

        assertThat(done.getStatus()).as("%s: %s", c, done).isEqualTo(c.status());
        if (c.status() != SUCCEEDED) {
            assertThat(done.getError().getReason()).isEqualTo(ErrorReason.ERROR_REASON_AGENT_COMMAND_FAILED);
            assertThat(done.getError().getMessage()).contains("injected failure of " + c.failing());
        }
        assertThat(done.getStepsList().stream()
                        .map(OperationStep::getName)
                        .filter(n -> n.startsWith("rollback:"))
                        .map(n -> n.substring("rollback:".length()))
                        .toList())
                .as("the undos that ran")
                .isEqualTo(c.rollback());
        assertThat(done.getStepsList())
                .filteredOn(s -> s.getName().startsWith("rollback:"))
                .allSatisfy(s -> assertThat(s.getStatus()).isEqualTo(StepStatus.STEP_STATUS_DONE));
        OperationStep failed = done.getStepsList().stream()
                .filter(s -> s.getName().equals(c.failing()))
                .findFirst()
                .orElseThrow();
        if (c.times() == ONCE) {
            assertThat(failed.getAttempts()).as("tried again after its failure").isEqualTo(2);
        }

        Workspace after = cluster.product()
                .getWorkspace(GetWorkspaceRequest.newBuilder()
                        .setWorkspaceId(done.getWorkspaceId())
                        .build())
                .getWorkspace();
        assertThat(after.getState()).as("%s: the workspace's state", c).isEqualTo(c.state());
        Optional<LocalWorkspace> local = host.agent().driver().find(done.getWorkspaceId());
        switch (c.local()) {
            case RUNNING -> {
                assertThat(local)
                        .as("it runs on its host")
                        .get()
                        .satisfies(l -> assertThat(l.state()).isEqualTo(LocalWorkspace.State.RUNNING));
                assertThat(Workspaces.get(after.getUrl() + "/healthz").statusCode())
                        .isEqualTo(200);
            }
            case STOPPED ->
                assertThat(local)
                        .as("its disk is kept, stopped")
                        .get()
                        .satisfies(l -> assertThat(l.state()).isNotEqualTo(LocalWorkspace.State.RUNNING));
            case GONE ->
                assertThat(local).as("nothing of it is left on the host").isEmpty();
        }
    }

    @Test
    void theReadmeShowsTheTableTheCodeRuns() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        Files.writeString(
                Path.of("target", "plan-table.md"), cluster.controlPlane().planTable());
        assertThat(readme)
                .as("README.md's compensation table (regenerate it from ControlPlane.planTable())")
                .contains(cluster.controlPlane().planTable());
    }

    /** A workspace made through the API and brought to {@code state}. */
    private static String workspaceIn(String state) {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("table-" + state).build())
                .getOperation();
        Workspaces.awaitSucceeded(cluster.product(), create);
        String ws = create.getWorkspaceId();
        if (!state.equals("active")) {
            Workspaces.awaitSucceeded(
                    cluster.product(),
                    Workspaces.request(cluster.product(), state.equals("suspended") ? "suspend" : "archive", ws));
        }
        return ws;
    }
}
