package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.controlplane.aws.AsgProvider;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.ScalingActivity;
import dev.spinup.controlplane.fleet.FleetTimings;
import dev.spinup.testing.aws.AutoScalingStub;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The {@code aws-asg} provider through the real AWS SDK clients (Auto Scaling and EC2, endpoint
 * overridden) against {@link AutoScalingStub}, a wire-level stand-in that "launches" an instance
 * by running the user data it was given — which enrolls a real host agent with one of the tokens
 * in it and runs it. A burst scales the group once (throttled calls retried by the SDK), a failed
 * activity fails its decision with the group's message and a later one makes up for it, an
 * instance the group terminates on its own is evacuated before its lifecycle action is completed,
 * and empty hosts leave through the group's terminate lifecycle hook.
 */
class AsgProviderTest {
    static final String REGION = "asg-east";
    static final String GROUP = "spinup-asg-east";
    static final String LAUNCH_TEMPLATE = "lt-0123456789abcdef0";
    static final String HOOK = "spinup-drain";
    static final Duration GROWTH = Duration.ofMinutes(3);

    /** What the README's user data does, with the instance's environment the stub gives it. */
    static final String USER_DATA = """
            #!/bin/bash
            set -u
            for token in {{tokens}}; do
              if SPINUP_ENROLLMENT_TOKEN="$token" $AGENT enroll --control-plane "$CP" --ca "$CA" \\
                  --fqdn "$INSTANCE_ID.{{region}}.localhost" --capacity 2,4,40 --out "$INSTANCE_DIR"; then
                exec $AGENT --control-plane "$CP" --cert "$INSTANCE_DIR/host.crt" --key "$INSTANCE_DIR/host.key" \\
                  --ca "$INSTANCE_DIR/ca.crt" --data-dir "$INSTANCE_DIR" --port-range "$PORTS" \\
                  --edge none --metrics-port 0
              fi
            done
            echo "no token enrolled this instance" >&2
            exit 1
            """;

    static final AutoScalingStub stub = new AutoScalingStub(instancesDir(), GROUP, LAUNCH_TEMPLATE, 4, 29_000);

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.pollingInterval(Duration.ofSeconds(1))
            .fleetTimings(FleetTimings.defaults().withRetryAfterFailedScaleUp(Duration.ofSeconds(2)))
            .asg(new AsgProvider.Config(
                    Map.of(REGION, GROUP),
                    LAUNCH_TEMPLATE,
                    USER_DATA,
                    HOOK,
                    new Envelope(2, 4, 40),
                    "us-east-1",
                    stub.endpoint(),
                    "stub-access",
                    "stub-secret",
                    null)));

    static SpinUpCluster cluster;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        stub.environment(Map.of(
                "AGENT", String.join(" ", ChildProcesses.agentCommand()),
                "CP", "localhost:" + cluster.controlPlane().grpcPort(),
                "CA", cluster.caCertificate().toString()));
        cluster.elasticRegion(REGION, AsgProvider.NAME);
        setCapacity(Duration.ofMinutes(10));
    }

    @AfterAll
    static void stop() {
        stub.close();
    }

    @Test
    void theGroupGrowsForABurstShrinksThroughItsLifecycleHookAndAFailedActivityFailsItsDecision() {
        // a burst of three HOBBY into an empty region: one decision for two instances
        stub.throttleNext(2);
        List<Operation> burst = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            burst.add(create("burst-" + i));
        }
        burst.forEach(AsgProviderTest::awaitSucceeded);
        assertThat(stub.throttled()).as("throttled calls, retried by the SDK").isEqualTo(2);
        List<String> actions = stub.calls().stream()
                .map(AutoScalingStub.Call::action)
                .filter(a -> !a.endsWith("(throttled)"))
                .toList();
        assertThat(actions)
                .containsSubsequence(
                        "CreateLaunchTemplateVersion",
                        "DescribeAutoScalingGroups",
                        "UpdateAutoScalingGroup",
                        "SetDesiredCapacity",
                        "DescribeScalingActivities");
        ScalingActivity grew = latestActivity();
        assertThat(decision(0).get(0))
                .as("the first decision, throttled but retried")
                .isIn("requested", "fulfilled");
        assertThat(grew.hostsWanted()).isEqualTo(2);
        assertThat(grew.providerActivity()).isEqualTo("asg:" + GROUP + ":act-1");
        Map<String, String> version = call("CreateLaunchTemplateVersion", 0);
        assertThat(version)
                .containsEntry("LaunchTemplateId", LAUNCH_TEMPLATE)
                .containsEntry("SourceVersion", "$Default")
                .containsEntry("ClientToken", grew.id().toString());
        assertThat(call("UpdateAutoScalingGroup", 0)).containsEntry("LaunchTemplate.Version", "2");
        assertThat(call("SetDesiredCapacity", 0))
                .containsEntry("AutoScalingGroupName", GROUP)
                .containsEntry("DesiredCapacity", "2")
                .containsEntry("HonorCooldown", "false");
        List<String> tokens = tokensIn(stub.userData(2));
        assertThat(tokens).as("one one-time token per new instance").hasSize(2).doesNotHaveDuplicates();
        assertThat(hostNames()).hasSize(2).allMatch(n -> n.startsWith("i-"));

        // the next launch fails: the decision fails with the group's message; a later one succeeds
        stub.failNextLaunch("Could not launch On-Demand Instances. InsufficientInstanceCapacity");
        Operation fits = create("fits");
        Operation waits = create("waits");
        awaitSucceeded(fits);
        // the second decision, whether or not the retry after it has begun (or even ended) by now
        List<String> failed = Eventually.await(
                GROWTH,
                "the second decision to end",
                () -> decision(1),
                d -> d.size() == 2 && !List.of("decided", "requested").contains(d.get(0)));
        assertThat(failed.get(0)).isEqualTo("failed");
        assertThat(failed.get(1)).contains("act-2 failed").contains("InsufficientInstanceCapacity");
        awaitSucceeded(waits);
        assertThat(hostNames()).hasSize(3);

        burst.forEach(AsgProviderTest::delete);

        // the group terminates fits' instance on its own: SpinUp evacuates it, then completes the hook
        String from = workspace(fits.getWorkspaceId()).getHostId();
        String instance = fqdn(from).substring(0, fqdn(from).indexOf('.'));
        stub.terminateOnItsOwn(instance);
        Eventually.await(
                GROWTH, "the instance let go", () -> stub.instances().stream().noneMatch(i -> i.id().equals(instance)));
        assertThat(workspace(fits.getWorkspaceId()).getHostId()).isNotEqualTo(from);
        assertThat(workspace(fits.getWorkspaceId()).getState())
                .isEqualTo(dev.spinup.api.v1.WorkspaceState.WORKSPACE_STATE_ACTIVE);
        List<Operation> moves = cluster.product()
                .listOperations(dev.spinup.api.v1.ListOperationsRequest.newBuilder()
                        .setWorkspaceId(fits.getWorkspaceId())
                        .setVerb(dev.spinup.api.v1.OperationVerb.OPERATION_VERB_EVACUATE)
                        .build())
                .getOperationsList();
        assertThat(moves).hasSize(1).allSatisfy(op -> {
            assertThat(op.getStatus()).isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
            assertThat(op.getActor()).isEqualTo("system");
        });
        assertThat(call("CompleteLifecycleAction", 0)).containsEntry("InstanceId", instance);
        Eventually.await(GROWTH, "the evacuated host retired", () -> retiredHosts(), n -> n == 1);

        // everything leaves: each empty host goes through the group's terminate lifecycle hook
        delete(fits);
        delete(waits);
        setCapacity(Duration.ofSeconds(1));
        Eventually.await(GROWTH, "every instance terminated", stub::instances, List::isEmpty);
        assertThat(stub.desired()).isZero();
        assertThat(stub.calls().stream().filter(c -> c.action().equals("TerminateInstanceInAutoScalingGroup")))
                .as("the group terminated one instance on its own")
                .hasSize(2)
                .allSatisfy(c -> assertThat(c.params()).containsEntry("ShouldDecrementDesiredCapacity", "true"));
        assertThat(stub.calls().stream().filter(c -> c.action().equals("CompleteLifecycleAction")))
                .hasSize(3)
                .allSatisfy(c -> assertThat(c.params())
                        .containsEntry("LifecycleHookName", HOOK)
                        .containsEntry("LifecycleActionResult", "CONTINUE")
                        .containsEntry("AutoScalingGroupName", GROUP));
        Eventually.await(GROWTH, "every host retired", () -> retiredHosts(), n -> n == 3);
    }

    private static void delete(Operation created) {
        Workspaces.awaitSucceeded(
                cluster.product(), Workspaces.request(cluster.product(), "delete", created.getWorkspaceId()));
    }

    private static dev.spinup.api.v1.Workspace workspace(String id) {
        return cluster.product()
                .getWorkspace(dev.spinup.api.v1.GetWorkspaceRequest.newBuilder()
                        .setWorkspaceId(id)
                        .build())
                .getWorkspace();
    }

    private static String fqdn(String hostId) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT fqdn FROM hosts WHERE id = :id")
                        .bind("id", java.util.UUID.fromString(hostId))
                        .mapTo(String.class)
                        .one());
    }

    private static Operation create(String name) {
        return cluster.product()
                .createWorkspace(Workspaces.hobby(name).setRegion(REGION).build())
                .getOperation();
    }

    private static void awaitSucceeded(Operation op) {
        Operation done = Workspaces.awaitDone(cluster.product(), op.getId(), GROWTH);
        assertThat(done.getStatus())
                .as(done.getError().getMessage())
                .isEqualTo(OperationStatus.OPERATION_STATUS_SUCCEEDED);
    }

    private static void setCapacity(Duration coolDown) {
        cluster.setRegionCapacity(REGION, 4, 0, coolDown);
    }

    /** The n-th decision in the region (from 0), as its state and error (empty if none); empty if none yet. */
    private static List<String> decision(int n) {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT state, coalesce(error, '') AS error FROM scaling_activities"
                                + " WHERE region_id = :r ORDER BY decided_at, id OFFSET :n LIMIT 1")
                        .bind("r", REGION)
                        .bind("n", n)
                        .map((rs, ctx) -> List.of(rs.getString("state"), rs.getString("error")))
                        .findOne()
                        .orElse(List.of()));
    }

    private static ScalingActivity latestActivity() {
        return cluster.database().read(tx -> tx.scaling().latest(REGION)).orElseThrow();
    }

    /** The n-th call of {@code action} that was answered (not throttled). */
    private static Map<String, String> call(String action, int n) {
        return stub.calls().stream()
                .filter(c -> c.action().equals(action))
                .skip(n)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + action + " call"))
                .params();
    }

    private static List<String> tokensIn(String userData) {
        Matcher m = Pattern.compile("for token in ([^;]*);").matcher(userData);
        assertThat(m.find()).as("the tokens in the user data").isTrue();
        return List.of(m.group(1).trim().split(" "));
    }

    private static List<String> hostNames() {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT fqdn FROM hosts WHERE region_id = :r AND state = 'healthy'")
                        .bind("r", REGION)
                        .mapTo(String.class)
                        .list());
    }

    private static int retiredHosts() {
        return cluster.database()
                .withHandle(h -> h.createQuery("SELECT count(*) FROM hosts WHERE region_id = :r AND state = 'retired'"
                                + " AND state_reason = 'scale-in: released by aws-asg'")
                        .bind("r", REGION)
                        .mapTo(Integer.class)
                        .one());
    }

    private static Path instancesDir() {
        try {
            return Files.createTempDirectory("spinup-asg-instances");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
