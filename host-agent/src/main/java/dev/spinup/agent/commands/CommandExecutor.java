package dev.spinup.agent.commands;

import dev.spinup.agent.drivers.DriverException;
import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.agent.drivers.VmDriver;
import dev.spinup.agent.drivers.WorkspaceSpec;
import dev.spinup.agent.edge.EdgeController;
import dev.spinup.agent.snapshots.SnapshotTransfer;
import dev.spinup.api.ProtoEnums;
import dev.spinup.api.TraceContext;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.CommandAck;
import dev.spinup.api.v1.CommandOutcome;
import dev.spinup.api.v1.CommandProgress;
import dev.spinup.api.v1.CommandResult;
import dev.spinup.api.v1.SnapshotTaken;
import dev.spinup.api.v1.VmStarted;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validates and runs commands. {@link #accept} answers at once with the Ack (received and valid,
 * not executed); the work runs in the background, one command at a time per workspace, and its
 * result is recorded durably before it is sent. A command already executed is answered with its
 * recorded result and never run again; one already running is not started twice.
 */
public final class CommandExecutor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CommandExecutor.class);

    private final VmDriver driver;
    private final SnapshotTransfer snapshots;
    private final EdgeController edge;
    private final ExecutedCommands executed;
    private final EventSink events;
    private final Clock clock;
    private final CommandHooks hooks;
    private final Tracer tracer;
    private final CommandMeters meters;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Executions begun by this process, of the most recent commands only (for tests and logs). */
    private final Map<String, Integer> executions =
            java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                    return size() > RECENT_EXECUTIONS;
                }
            });

    static final int RECENT_EXECUTIONS = 10_000;
    private final KeyedLocks workspaceLocks = new KeyedLocks();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean closing;

    /** CommandResult.error_code of a command an earlier agent run accepted but did not finish. */
    public static final String LOST_IN_RESTART = "agent_reconnected_without_completion";

    /**
     * Commands that drive the host towards a stated end (stopped, gone, these routes, this
     * envelope): running one again after it was cut off half-way finishes the job and does nothing
     * twice, so one lost in an agent restart is simply run again. The others (provision, start,
     * snapshot, restore) leave partial effects whose state is unknown, so a lost one is reported
     * with {@link #LOST_IN_RESTART} and the operation decides.
     */
    static final Set<Command.KindCase> CONVERGENT = Set.of(
            Command.KindCase.STOP_VM,
            Command.KindCase.DESTROY_VM,
            Command.KindCase.WIPE_DISK,
            Command.KindCase.APPLY_EDGE_ROUTES,
            Command.KindCase.RESIZE_VM);

    /** Commands after which a workspace runs, or no longer runs: the edge renders its table again. */
    static final Set<Command.KindCase> CHANGES_WHAT_RUNS = Set.of(
            Command.KindCase.START_VM,
            Command.KindCase.STOP_VM,
            Command.KindCase.DESTROY_VM,
            Command.KindCase.WIPE_DISK);

    public CommandExecutor(
            VmDriver driver,
            SnapshotTransfer snapshots,
            EdgeController edge,
            ExecutedCommands executed,
            EventSink events,
            Clock clock) {
        this(
                driver,
                snapshots,
                edge,
                executed,
                events,
                clock,
                CommandHooks.NONE,
                OpenTelemetry.noop().getTracer("spinup"),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    public CommandExecutor(
            VmDriver driver,
            SnapshotTransfer snapshots,
            EdgeController edge,
            ExecutedCommands executed,
            EventSink events,
            Clock clock,
            CommandHooks hooks,
            Tracer tracer,
            io.micrometer.core.instrument.MeterRegistry meters) {
        this.tracer = tracer;
        this.meters = new CommandMeters(meters);
        this.driver = driver;
        this.snapshots = snapshots;
        this.edge = edge;
        this.executed = executed;
        this.events = events;
        this.clock = clock;
        this.hooks = hooks;
    }

    public CommandAck accept(Command command) {
        String problem = validate(command);
        if (problem != null) {
            log.atWarn()
                    .setMessage("command_rejected")
                    .addKeyValue("command", command.getCommandId())
                    .addKeyValue("reason", problem)
                    .log();
            meters.refused(command.getKindCase(), "rejected");
            return CommandAck.newBuilder()
                    .setCommandId(command.getCommandId())
                    .setAccepted(false)
                    .setRejectReason(problem)
                    .build();
        }
        var recorded = executed.result(command.getCommandId());
        if (recorded.isPresent()) {
            log.atInfo()
                    .setMessage("command_replayed")
                    .addKeyValue("command", command.getCommandId())
                    .log();
            events.emit(AgentEvent.newBuilder().setResult(recorded.get()));
        } else if (inFlight.add(command.getCommandId())) {
            if (executed.wasAccepted(command.getCommandId()) && CONVERGENT.contains(command.getKindCase())) {
                log.atWarn()
                        .setMessage("command_rerun_after_restart")
                        .addKeyValue("command", command.getCommandId())
                        .addKeyValue("kind", command.getKindCase())
                        .log();
                workers.execute(() -> run(command));
            } else if (executed.wasAccepted(command.getCommandId())) {
                // Accepted by an earlier run of this agent that died before finishing it: its effects
                // are unknown, so it is reported, not run again.
                CommandResult lost = CommandResult.newBuilder()
                        .setCommandId(command.getCommandId())
                        .setOutcome(CommandOutcome.COMMAND_OUTCOME_FAILED)
                        .setErrorCode(LOST_IN_RESTART)
                        .setMessage("the agent restarted while executing " + command.getKindCase()
                                + " and has no record of its completion")
                        .build();
                executed.record(lost);
                inFlight.remove(command.getCommandId());
                log.atWarn()
                        .setMessage("command_lost_in_restart")
                        .addKeyValue("command", command.getCommandId())
                        .log();
                meters.refused(command.getKindCase(), "lost_in_restart");
                events.emit(AgentEvent.newBuilder().setResult(lost));
            } else {
                executed.markAccepted(
                        command.getCommandId(),
                        command.hasDeadline()
                                ? Instant.ofEpochSecond(
                                        command.getDeadline().getSeconds(),
                                        command.getDeadline().getNanos())
                                : null);
                workers.execute(() -> run(command));
            }
        }
        return CommandAck.newBuilder()
                .setCommandId(command.getCommandId())
                .setAccepted(true)
                .build();
    }

    private static String validate(Command c) {
        if (c.getCommandId().isEmpty()) {
            return "command_id is empty";
        }
        if (c.getKindCase() == Command.KindCase.KIND_NOT_SET) {
            return "the command has no kind";
        }
        if (c.getKindCase() != Command.KindCase.APPLY_EDGE_ROUTES) {
            try {
                UUID.fromString(c.getWorkspaceId());
            } catch (IllegalArgumentException e) {
                return "workspace_id is not a UUID";
            }
        }
        return null;
    }

    /** How many times this process began executing the command (at most once, by design). */
    public int timesExecuted(String commandId) {
        return executions.getOrDefault(commandId, 0);
    }

    /** Drops the records of commands no control plane can send again (see {@link ExecutedCommands#prune}). */
    public int pruneRecords() {
        int pruned = executed.prune(clock.instant(), Set.copyOf(inFlight));
        if (pruned > 0) {
            log.atInfo()
                    .setMessage("command_records_pruned")
                    .addKeyValue("count", pruned)
                    .log();
        }
        return pruned;
    }

    /** Workspaces that have a lock right now (those with a command running or waiting). */
    int workspacesLocked() {
        return workspaceLocks.size();
    }

    /** Runs the command in a span of the step that sent it (its trace context travels in the command). */
    private void run(Command command) {
        Span span = tracer.spanBuilder("agent " + command.getKindCase().name())
                .setParent(TraceContext.from(command.getTraceContextMap()))
                .setAttribute("spinup.command_id", command.getCommandId())
                .startSpan();
        TraceContext.inSpan(span, () -> runTraced(command));
    }

    private void runTraced(Command command) {
        hooks.beforeExecute(command);
        executions.merge(command.getCommandId(), 1, Integer::sum);
        CommandResult.Builder result = CommandResult.newBuilder().setCommandId(command.getCommandId());
        long started = System.nanoTime();
        workspaceLocks.with(command.getWorkspaceId(), () -> {
            try {
                Instant deadline = Instant.ofEpochSecond(
                        command.getDeadline().getSeconds(),
                        command.getDeadline().getNanos());
                if (command.hasDeadline() && clock.instant().isAfter(deadline)) {
                    throw new DriverException("deadline_passed", "the command arrived after its deadline " + deadline);
                }
                hooks.inject(command);
                execute(command, result);
                if (CHANGES_WHAT_RUNS.contains(command.getKindCase())) {
                    edge.refresh(); // before the result: the edge no longer proxies to an app that stopped
                }
                hooks.afterEffect(command);
                result.setOutcome(CommandOutcome.COMMAND_OUTCOME_SUCCEEDED);
            } catch (DriverException e) {
                meters.driverFailed(command.getKindCase(), e.code());
                result.setOutcome(CommandOutcome.COMMAND_OUTCOME_FAILED)
                        .setErrorCode(e.code())
                        .setMessage(e.getMessage());
            } catch (IOException | RuntimeException e) {
                log.atError()
                        .setMessage("command_crashed")
                        .addKeyValue("command", command.getCommandId())
                        .setCause(e)
                        .log();
                result.setOutcome(CommandOutcome.COMMAND_OUTCOME_FAILED)
                        .setErrorCode("internal")
                        .setMessage(DriverException.reason(e));
            }
            return null;
        });
        if (closing) {
            // Shutting down mid-command is a crash as far as this command is concerned: no result
            // is recorded, and the next agent reports it lost rather than guessing.
            inFlight.remove(command.getCommandId());
            return;
        }
        CommandResult built = result.build();
        meters.ended(
                command.getKindCase(),
                built.getOutcome() == CommandOutcome.COMMAND_OUTCOME_SUCCEEDED ? "succeeded" : "failed",
                java.time.Duration.ofNanos(System.nanoTime() - started));
        executed.record(built);
        hooks.afterRecorded(command);
        inFlight.remove(command.getCommandId());
        log.atInfo()
                .setMessage("command_executed")
                .addKeyValue("command", command.getCommandId())
                .addKeyValue("kind", command.getKindCase())
                .addKeyValue("outcome", built.getOutcome())
                .addKeyValue("message", built.getMessage())
                .log();
        events.emit(AgentEvent.newBuilder().setResult(built).putAllTraceContext(TraceContext.current()));
    }

    private void execute(Command c, CommandResult.Builder result) throws DriverException, IOException {
        String ws = c.getWorkspaceId();
        switch (c.getKindCase()) {
            case PROVISION_VM -> {
                var p = c.getProvisionVm();
                driver.provision(new WorkspaceSpec(
                        ws,
                        ProtoEnums.bare(p.getTemplate()).toLowerCase(Locale.ROOT),
                        p.getDisplayName(),
                        p.getEnvelope().getVcpu(),
                        p.getEnvelope().getRamGb(),
                        p.getEnvelope().getDiskGb()));
                result.setMessage("provisioned");
            }
            case START_VM -> {
                progress(c, "starting the workspace", -1);
                String endpoint = driver.start(ws);
                String ide = driver.find(ws).map(LocalWorkspace::ideEndpoint).orElse("");
                result.setVmStarted(VmStarted.newBuilder().setEndpoint(endpoint).setIdeEndpoint(ide))
                        .setMessage("answering at " + endpoint + (ide.isEmpty() ? "" : ", its IDE at " + ide));
            }
            case STOP_VM -> {
                driver.stop(ws, c.getStopVm().getGraceSeconds());
                result.setMessage("stopped");
            }
            case DESTROY_VM -> {
                driver.destroy(ws);
                result.setMessage("destroyed");
            }
            case RESIZE_VM -> {
                var e = c.getResizeVm().getEnvelope();
                driver.resize(ws, e.getVcpu(), e.getRamGb(), e.getDiskGb());
                result.setMessage("resized to " + e.getVcpu() + " vCPU / " + e.getRamGb() + " GiB RAM / "
                        + e.getDiskGb() + " GiB disk; takes effect at the next start");
            }
            case TAKE_SNAPSHOT -> {
                var t = c.getTakeSnapshot();
                progress(c, "archiving the disk", 0);
                var up = snapshots.upload(
                        ws,
                        t.getSnapshotId(),
                        t.getBaseSnapshotId(),
                        t.getUploadUrl(),
                        bytes -> progress(c, "uploading " + bytes + " bytes", 50));
                result.setSnapshotTaken(SnapshotTaken.newBuilder()
                                .setSnapshotId(t.getSnapshotId())
                                .setLocation(t.getTarget())
                                .setSizeBytes(up.sizeBytes())
                                .setSha256(up.sha256Hex())
                                .setTool(driver.snapshotTool())
                                .setBaseSnapshotId(up.baseSnapshotId()))
                        .setMessage("uploaded " + up.sizeBytes() + " bytes"
                                + (up.baseSnapshotId().isEmpty() ? " (full)" : " (differential)"));
            }
            case RESTORE_SNAPSHOT -> {
                var r = c.getRestoreSnapshot();
                progress(c, "downloading " + SnapshotTransfer.bytes(r) + " bytes", 0);
                snapshots.restore(
                        new WorkspaceSpec(
                                ws,
                                ProtoEnums.bare(r.getTemplate()).toLowerCase(Locale.ROOT),
                                r.getDisplayName(),
                                r.getEnvelope().getVcpu(),
                                r.getEnvelope().getRamGb(),
                                r.getEnvelope().getDiskGb()),
                        r);
                result.setMessage("restored snapshot " + r.getSnapshotId()
                        + (r.hasBase() ? " (on full snapshot " + r.getBase().getSnapshotId() + ")" : ""));
            }
            case WIPE_DISK -> {
                driver.destroy(ws);
                result.setMessage("local data wiped");
            }
            case APPLY_EDGE_ROUTES -> result.setMessage(edge.apply(c.getApplyEdgeRoutes()));
            default ->
                throw new DriverException("unsupported", "this agent does not support " + c.getKindCase() + " yet");
        }
    }

    private void progress(Command c, String message, int percent) {
        events.emit(AgentEvent.newBuilder()
                .setProgress(CommandProgress.newBuilder()
                        .setCommandId(c.getCommandId())
                        .setMessage(message)
                        .setPercent(percent)));
    }

    @Override
    public void close() {
        closing = true;
        workers.shutdownNow();
    }
}
