package dev.spinup.agent.session;

import dev.spinup.agent.commands.CommandExecutor;
import dev.spinup.agent.commands.ExecutedCommands;
import dev.spinup.agent.drivers.LocalWorkspace;
import dev.spinup.agent.drivers.VmDriver;
import dev.spinup.api.AgentProtocol;
import dev.spinup.api.v1.AgentCommandsMessage;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.AgentServiceGrpc;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.CommandAck;
import dev.spinup.api.v1.Envelope;
import dev.spinup.api.v1.EventAck;
import dev.spinup.api.v1.Heartbeat;
import dev.spinup.api.v1.Inventory;
import dev.spinup.api.v1.InventoryWorkspace;
import dev.spinup.api.v1.LocalWorkspaceState;
import dev.spinup.api.v1.PreviewPorts;
import dev.spinup.api.v1.PreviewPortsReport;
import dev.spinup.api.v1.SessionHello;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this agent connected: dials the control-plane addresses in turn, opens the commands and
 * events streams on one mTLS connection, says hello, sends Inventory and heartbeats, and after any
 * failure reconnects with full-jitter exponential backoff (so a fleet does not reconnect in step).
 */
public final class ControlPlaneConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlPlaneConnection.class);
    private static final Duration BACKOFF_BASE = Duration.ofMillis(250);
    private static final Duration BACKOFF_CAP = Duration.ofSeconds(30);

    private final List<String> targets;
    private final SslContext ssl;
    private final CommandExecutor executor;
    private final EventOutbox outbox;
    private final VmDriver driver;
    private final ExecutedCommands executed;
    private final Envelope total;
    private final Duration heartbeatInterval;
    private final String agentInstanceId;
    private final dev.spinup.agent.edge.EdgeController edge;
    private final dev.spinup.agent.edge.PreviewPorts previews;
    /** The preview ports this session's last heartbeat reported; null: none yet in this session. */
    private volatile Map<String, java.util.Set<Integer>> reportedPreviews;

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agent-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private final Thread loop;
    private volatile boolean running = true;
    private volatile CountDownLatch currentSession;
    private volatile boolean connected;
    private final io.grpc.ClientInterceptor metering;
    private final Fencing fencing;

    public ControlPlaneConnection(
            List<String> targets,
            SslContext ssl,
            CommandExecutor executor,
            EventOutbox outbox,
            VmDriver driver,
            ExecutedCommands executed,
            Envelope total,
            Duration heartbeatInterval,
            String agentInstanceId,
            dev.spinup.agent.edge.EdgeController edge,
            dev.spinup.agent.edge.PreviewPorts previews,
            io.micrometer.core.instrument.MeterRegistry meters) {
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("at least one control-plane address is needed");
        }
        this.targets = List.copyOf(targets);
        // grpc_client_* for the two streams and Enroll-free unary calls: requests, responses, status
        this.metering = new io.micrometer.core.instrument.binder.grpc.MetricCollectingClientInterceptor(meters);
        this.fencing = new Fencing(driver, meters);
        this.ssl = ssl;
        this.executor = executor;
        this.outbox = outbox;
        this.driver = driver;
        this.executed = executed;
        this.total = total;
        this.heartbeatInterval = heartbeatInterval;
        this.agentInstanceId = agentInstanceId;
        this.edge = edge;
        this.previews = previews;
        this.loop = Thread.ofPlatform().name("agent-connection").daemon().unstarted(this::run);
    }

    /**
     * How long to wait before the next attempt after {@code failures} sessions in a row that got no
     * answer: full jitter in [cap/2, cap], cap doubling from 250 ms to 30 s, so a fleet whose
     * replica died does not reconnect in step.
     */
    public static Duration reconnectDelay(int failures) {
        long cap = Math.min(BACKOFF_CAP.toMillis(), BACKOFF_BASE.toMillis() << Math.min(failures, 10));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
    }

    public void start() {
        loop.start();
    }

    public boolean isConnected() {
        return connected;
    }

    private void run() {
        int failures = 0;
        int next = 0;
        while (running) {
            String target = targets.get(next++ % targets.size());
            ManagedChannel channel = NettyChannelBuilder.forTarget(target)
                    .sslContext(ssl)
                    .maxInboundMessageSize(AgentProtocol.MAX_COMMAND_BYTES)
                    .keepAliveTime(20, TimeUnit.SECONDS)
                    .keepAliveWithoutCalls(true)
                    .intercept(metering)
                    .build();
            boolean established;
            try {
                established = session(channel, target);
            } catch (InterruptedException e) {
                channel.shutdownNow();
                return;
            } finally {
                connected = false;
            }
            channel.shutdownNow();
            failures = established ? 0 : failures + 1;
            if (!running) {
                return;
            }
            long delay = reconnectDelay(failures).toMillis();
            log.atInfo()
                    .setMessage("reconnect_scheduled")
                    .addKeyValue("delay_ms", delay)
                    .addKeyValue("failures", failures)
                    .log();
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Whether the control plane refused this host as lost. */
    public boolean isFenced() {
        return fencing.isFenced();
    }

    /** Runs one session until either stream ends. Returns whether the control plane answered at all. */
    private boolean session(ManagedChannel channel, String target) throws InterruptedException {
        CountDownLatch ended = new CountDownLatch(1);
        currentSession = ended;
        AtomicBoolean answered = new AtomicBoolean();
        var stub = AgentServiceGrpc.newStub(channel);

        CommandStream commands = new CommandStream(ended);
        stub.commands(commands);
        commands.send(AgentCommandsMessage.newBuilder()
                .setHello(SessionHello.newBuilder()
                        .setAgentVersion("0.1.0")
                        .setAgentInstanceId(agentInstanceId)
                        .setDriver(driver.name())
                        .setEdgeAddress(edge.address()))
                .build());

        StreamObserver<AgentEvent>[] events = new StreamObserver[1];
        events[0] = stub.events(new StreamObserver<EventAck>() {
            @Override
            public void onNext(EventAck ack) {
                if (!answered.getAndSet(true)) {
                    connected = true;
                    log.atInfo()
                            .setMessage("session_established")
                            .addKeyValue("target", target)
                            .log();
                }
                for (var refused : ack.getRefusedList()) {
                    // acked all the same: replaying it would be refused again
                    log.atError()
                            .setMessage("event_refused_by_control_plane")
                            .addKeyValue("seq", refused.getSeq())
                            .addKeyValue("reason", refused.getReason())
                            .addKeyValue("message", refused.getMessage())
                            .log();
                }
                outbox.ack(ack.getAckedSeq());
            }

            @Override
            public void onError(Throwable t) {
                if (running) {
                    log.atWarn()
                            .setMessage("events_stream_failed")
                            .addKeyValue("target", target)
                            .addKeyValue("status", Status.fromThrowable(t))
                            .log();
                }
                fencing.onRefusal(t);
                ended.countDown();
            }

            @Override
            public void onCompleted() {
                ended.countDown();
            }
        });
        StreamObserver<AgentEvent> eventStream = new SynchronizedObserver<>(events[0]);
        outbox.emit(AgentEvent.newBuilder().setInventory(inventory()));
        outbox.attach(eventStream);
        reportedPreviews = null;
        ScheduledFuture<?> heartbeats = timer.scheduleAtFixedRate(
                () -> outbox.emit(AgentEvent.newBuilder().setHeartbeat(heartbeat())),
                0,
                heartbeatInterval.toMillis(),
                TimeUnit.MILLISECONDS);
        try {
            ended.await();
        } finally {
            heartbeats.cancel(false);
            outbox.detach(eventStream);
            commands.cancel();
            try {
                eventStream.onError(
                        Status.CANCELLED.withDescription("session ended").asRuntimeException());
            } catch (RuntimeException e) {
                // already closed
            }
        }
        return answered.get();
    }

    /**
     * This host now: its capacity, replay buffer, running workspaces, how its edge's access
     * checks went and which workspaces were used since the last heartbeat.
     */
    private Heartbeat heartbeat() {
        List<LocalWorkspace> local = driver.inventory();
        Map<String, Integer> idePorts = new java.util.HashMap<>();
        for (LocalWorkspace w : local) {
            if (w.state() == LocalWorkspace.State.RUNNING && !w.ideEndpoint().isEmpty()) {
                String ide = w.ideEndpoint();
                idePorts.put(w.workspaceId(), Integer.parseInt(ide.substring(ide.lastIndexOf(':') + 1)));
            }
        }
        Heartbeat.Builder b = Heartbeat.newBuilder()
                .setTotal(total)
                .setReplayBufferDepth(outbox.depth())
                .setRunningWorkspaces((int) local.stream()
                        .filter(w -> w.state() == LocalWorkspace.State.RUNNING)
                        .count())
                .putAllEdgeAccess(edge.accessOutcomes());
        edge.takeActivity(idePorts)
                .forEach((workspace, at) -> b.putLastActive(
                        workspace,
                        com.google.protobuf.Timestamp.newBuilder()
                                .setSeconds(at.getEpochSecond())
                                .setNanos(at.getNano())
                                .build()));
        Map<String, java.util.Set<Integer>> listening = new java.util.TreeMap<>();
        try {
            previews.now()
                    .forEach((workspace, ports) -> listening.put(workspace, new java.util.TreeSet<>(ports.keySet())));
        } catch (RuntimeException e) {
            // a heartbeat goes out whatever the scan of the workspaces' sockets ran into
            log.atWarn()
                    .setMessage("preview_ports_scan_failed")
                    .addKeyValue("error", e.toString())
                    .log();
            return b.build();
        }
        if (!listening.equals(reportedPreviews)) {
            PreviewPortsReport.Builder report = PreviewPortsReport.newBuilder();
            listening.forEach((workspace, ports) -> report.putWorkspaces(
                    workspace, PreviewPorts.newBuilder().addAllPorts(ports).build()));
            b.setPreviewPorts(report);
            reportedPreviews = listening;
        }
        return b.build();
    }

    private Inventory inventory() {
        Inventory.Builder b = Inventory.newBuilder().setTotal(total).addAllExecutedCommandIds(executed.recent(1000));
        for (LocalWorkspace w : driver.inventory()) {
            b.addWorkspaces(InventoryWorkspace.newBuilder()
                    .setWorkspaceId(w.workspaceId())
                    .setState(
                            switch (w.state()) {
                                case PROVISIONED -> LocalWorkspaceState.LOCAL_WORKSPACE_STATE_PROVISIONED;
                                case RUNNING -> LocalWorkspaceState.LOCAL_WORKSPACE_STATE_RUNNING;
                                case STOPPED -> LocalWorkspaceState.LOCAL_WORKSPACE_STATE_STOPPED;
                            })
                    .setEndpoint(w.endpoint())
                    .setEnvelope(Envelope.newBuilder()
                            .setVcpu(w.spec().vcpu())
                            .setRamGb(w.spec().ramGb())
                            .setDiskGb(w.spec().diskGb())));
        }
        return b.build();
    }

    /** Commands down, hello and acks up. */
    private final class CommandStream implements ClientResponseObserver<AgentCommandsMessage, Command> {
        private final CountDownLatch ended;
        private ClientCallStreamObserver<AgentCommandsMessage> requests;

        CommandStream(CountDownLatch ended) {
            this.ended = ended;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<AgentCommandsMessage> requestStream) {
            this.requests = requestStream;
        }

        synchronized void send(AgentCommandsMessage message) {
            requests.onNext(message);
        }

        synchronized void cancel() {
            requests.cancel("session ended", null);
        }

        @Override
        public void onNext(Command command) {
            CommandAck ack = executor.accept(command);
            send(AgentCommandsMessage.newBuilder().setAck(ack).build());
        }

        @Override
        public void onError(Throwable t) {
            if (running) {
                log.atWarn()
                        .setMessage("commands_stream_failed")
                        .addKeyValue("status", Status.fromThrowable(t))
                        .log();
            }
            fencing.onRefusal(t);
            ended.countDown();
        }

        @Override
        public void onCompleted() {
            ended.countDown();
        }
    }

    /** gRPC stream observers are not thread-safe; events come from several threads. */
    private record SynchronizedObserver<T>(StreamObserver<T> delegate) implements StreamObserver<T> {
        @Override
        public synchronized void onNext(T value) {
            delegate.onNext(value);
        }

        @Override
        public synchronized void onError(Throwable t) {
            delegate.onError(t);
        }

        @Override
        public synchronized void onCompleted() {
            delegate.onCompleted();
        }
    }

    @Override
    public void close() {
        running = false;
        CountDownLatch session = currentSession;
        if (session != null) {
            session.countDown();
        }
        loop.interrupt();
        timer.shutdownNow();
    }
}
