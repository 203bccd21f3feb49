package dev.spinup.agent.commands;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.agent.GuestFiles;
import dev.spinup.agent.drivers.ProcessVmDriver;
import dev.spinup.agent.edge.RoutesFileOnly;
import dev.spinup.agent.session.EventOutbox;
import dev.spinup.agent.snapshots.SnapshotTransfer;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.CommandOutcome;
import dev.spinup.api.v1.CommandResult;
import dev.spinup.api.v1.DestroyVm;
import dev.spinup.api.v1.Envelope;
import dev.spinup.api.v1.ProjectTemplate;
import dev.spinup.api.v1.ProvisionVm;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A command is executed at most once, also when it is re-sent to a restarted agent. */
class CommandExecutorTest {
    @TempDir
    Path data;

    @Test
    void aResentCommandIsAnsweredFromTheRecordNotExecutedAgain() throws Exception {
        String ws = UUID.randomUUID().toString();
        Command provision = Command.newBuilder()
                .setCommandId(UUID.randomUUID() + "/provision")
                .setWorkspaceId(ws)
                .setProvisionVm(ProvisionVm.newBuilder()
                        .setTemplate(ProjectTemplate.PROJECT_TEMPLATE_STARTER)
                        .setDisplayName("x")
                        .setEnvelope(
                                Envelope.newBuilder().setVcpu(1).setRamGb(1).setDiskGb(1)))
                .build();
        Path guest = GuestFiles.extract(data.resolve("guest"));

        List<CommandResult> firstResults = run(guest, provision);
        assertThat(firstResults)
                .extracting(CommandResult::getOutcome)
                .containsExactly(CommandOutcome.COMMAND_OUTCOME_SUCCEEDED);
        Path workspaceDir = data.resolve("workspaces").resolve(ws);
        assertThat(workspaceDir).exists();

        // Remove what it did; a new agent process (new executor, same data directory) gets it again.
        try (var files = Files.walk(workspaceDir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
        List<CommandResult> again = run(guest, provision);

        assertThat(again).containsExactlyElementsOf(firstResults);
        assertThat(workspaceDir).as("not executed a second time").doesNotExist();
    }

    @Test
    void aLostConvergentCommandIsRunAgainAndALostProvisionIsReportedLost() throws Exception {
        Path guest = GuestFiles.extract(data.resolve("guest"));
        String ws = UUID.randomUUID().toString();
        Command provision = Command.newBuilder()
                .setCommandId(UUID.randomUUID() + "/provision")
                .setWorkspaceId(ws)
                .setProvisionVm(ProvisionVm.newBuilder()
                        .setTemplate(ProjectTemplate.PROJECT_TEMPLATE_STARTER)
                        .setDisplayName("x")
                        .setEnvelope(
                                Envelope.newBuilder().setVcpu(1).setRamGb(1).setDiskGb(1)))
                .build();
        Command destroy = Command.newBuilder()
                .setCommandId(UUID.randomUUID() + "/destroy")
                .setWorkspaceId(ws)
                .setDestroyVm(DestroyVm.getDefaultInstance())
                .build();
        assertThat(run(guest, provision))
                .extracting(CommandResult::getOutcome)
                .containsExactly(CommandOutcome.COMMAND_OUTCOME_SUCCEEDED);
        // An earlier agent run accepted both and died before recording a result.
        ExecutedCommands records = new ExecutedCommands(data.resolve("commands"));
        Command lostProvision = provision.toBuilder()
                .setCommandId(UUID.randomUUID() + "/provision")
                .build();
        records.markAccepted(lostProvision.getCommandId(), null);
        records.markAccepted(destroy.getCommandId(), null);

        assertThat(run(guest, lostProvision)).singleElement().satisfies(r -> {
            assertThat(r.getOutcome()).isEqualTo(CommandOutcome.COMMAND_OUTCOME_FAILED);
            assertThat(r.getErrorCode()).isEqualTo(CommandExecutor.LOST_IN_RESTART);
        });
        assertThat(run(guest, destroy))
                .extracting(CommandResult::getOutcome)
                .containsExactly(CommandOutcome.COMMAND_OUTCOME_SUCCEEDED);
        assertThat(data.resolve("workspaces").resolve(ws))
                .as("the destroy ran to its end")
                .doesNotExist();
    }

    @Test
    void recordsGoOnceNoControlPlaneCanSendTheirCommandAgain() {
        ExecutedCommands records = new ExecutedCommands(data.resolve("pruned"));
        Instant now = Instant.parse("2026-12-01T10:00:00Z");
        String past = UUID.randomUUID() + "/stop";
        String soon = UUID.randomUUID() + "/stop";
        String running = UUID.randomUUID() + "/snapshot";
        records.markAccepted(past, now.minus(ExecutedCommands.PAST_DEADLINE).minusSeconds(1));
        records.record(CommandResult.newBuilder()
                .setCommandId(past)
                .setOutcome(CommandOutcome.COMMAND_OUTCOME_SUCCEEDED)
                .build());
        records.markAccepted(soon, now.plusSeconds(60));
        records.record(CommandResult.newBuilder()
                .setCommandId(soon)
                .setOutcome(CommandOutcome.COMMAND_OUTCOME_SUCCEEDED)
                .build());
        records.markAccepted(running, now.minus(Duration.ofHours(1)));

        assertThat(records.prune(now, java.util.Set.of(running))).isEqualTo(1);

        assertThat(records.result(past))
                .as("past its deadline: no control plane sends it again")
                .isEmpty();
        assertThat(records.wasAccepted(past)).isFalse();
        assertThat(records.result(soon)).as("it may still be sent again").isPresent();
        assertThat(records.wasAccepted(running)).as("still running").isTrue();
    }

    @Test
    void theLockOfAWorkspaceGoesWithItsLastCommand() {
        KeyedLocks locks = new KeyedLocks();
        for (int i = 0; i < 1000; i++) {
            locks.with(UUID.randomUUID().toString(), () -> null);
        }
        assertThat(locks.size()).isZero();
    }

    @Test
    void anInvalidCommandIsRejectedAtAck() {
        CommandExecutor executor = executor(
                GuestFiles.extract(data.resolve("guest")),
                new EventOutbox(
                        Clock.systemUTC(),
                        data.resolve("events-" + UUID.randomUUID()),
                        100,
                        EventOutbox.AgentMetrics.NONE));
        assertThat(executor.accept(Command.newBuilder().setCommandId("c").build())
                        .getAccepted())
                .isFalse();
        assertThat(executor.accept(Command.newBuilder()
                                .setCommandId("c")
                                .setWorkspaceId("not-a-uuid")
                                .setProvisionVm(ProvisionVm.getDefaultInstance())
                                .build())
                        .getRejectReason())
                .contains("UUID");
    }

    private List<CommandResult> run(Path guest, Command command) throws Exception {
        EventOutbox outbox = new EventOutbox(
                Clock.systemUTC(), data.resolve("events-" + UUID.randomUUID()), 100, EventOutbox.AgentMetrics.NONE);
        List<CommandResult> results = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> answered = new CompletableFuture<>();
        outbox.attach(new StreamObserver<>() {
            @Override
            public void onNext(AgentEvent e) {
                if (e.hasResult()) {
                    results.add(e.getResult());
                    answered.complete(null);
                }
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
        });
        CommandExecutor executor = executor(guest, outbox);
        assertThat(executor.accept(command).getAccepted()).isTrue();
        answered.get(30, TimeUnit.SECONDS);
        executor.close();
        return List.copyOf(results);
    }

    private CommandExecutor executor(Path guest, EventOutbox outbox) {
        ProcessVmDriver driver = new ProcessVmDriver(
                data.resolve("workspaces"), guest, "127.0.0.1", 23000, 23100, Duration.ofSeconds(10));
        return new CommandExecutor(
                driver,
                new SnapshotTransfer(driver, data.resolve("scratch")),
                new RoutesFileOnly(data.resolve("edge")),
                new ExecutedCommands(data.resolve("commands")),
                outbox,
                Clock.systemUTC());
    }
}
