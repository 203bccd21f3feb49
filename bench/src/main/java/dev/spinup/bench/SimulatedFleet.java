package dev.spinup.bench;

import dev.spinup.agent.session.ControlPlaneConnection;
import dev.spinup.api.v1.AgentCommandsMessage;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.AgentServiceGrpc;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.CommandAck;
import dev.spinup.api.v1.CommandOutcome;
import dev.spinup.api.v1.CommandResult;
import dev.spinup.api.v1.Envelope;
import dev.spinup.api.v1.Heartbeat;
import dev.spinup.api.v1.Inventory;
import dev.spinup.api.v1.SessionHello;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Simulated host agents in a JVM of their own (a process may hold 20,000 file descriptors here,
 * and the replica under test needs its own). Each agent is one real mTLS connection with its own
 * host certificate and both streams of the agent protocol: hello on the commands stream, Inventory
 * then heartbeats on the events stream, commands acked and answered as a no-op driver would, and
 * the real agent's reconnect (full-jitter backoff, next address) when the session ends.
 *
 * <p>Driven over stdin by {@link FanInBench}, one command per line; every answer is one stdout
 * line starting with {@code @}:
 * <pre>
 * connect RATE              open every session, RATE per second  -> @connected N MILLIS
 * ingest SECONDS WINDOW     events as fast as acks come, WINDOW in flight per agent -> @measuring
 *                           (after a second of warm-up), then @ingested EVENTS SECONDS
 * await-reconciled SECONDS  -> @watching, then (once the caller has killed the replica) until every
 *                           agent's Inventory is acked on a newer session -> @reconciled N MILLIS
 * exit
 * </pre>
 * Arguments: {@code <identities file> <heartbeat seconds> <port>[,<port>...]} (loopback, TLS name localhost).
 * The identities file has a line per host: id, then its certificate and key as base64 PEM, tab-separated;
 * the CA certificate is the file {@code ca.crt} beside it.
 */
public final class SimulatedFleet {
    private final List<InetSocketAddress> targets;
    private final Duration heartbeat;
    private final NioEventLoopGroup loop = new NioEventLoopGroup(2);
    private final ExecutorService callbacks = Executors.newFixedThreadPool(2);
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(1);
    private final List<Agent> agents = new ArrayList<>();
    private final AtomicLong acked = new AtomicLong();
    /** Why sessions ended, by gRPC status code (printed with every answer that waits for sessions). */
    private final java.util.concurrent.ConcurrentMap<String, java.util.concurrent.atomic.LongAdder> endings =
            new java.util.concurrent.ConcurrentSkipListMap<>();

    private volatile int ingestWindow;

    private SimulatedFleet(List<InetSocketAddress> targets, Duration heartbeat) {
        this.targets = targets;
        this.heartbeat = heartbeat;
    }

    public static void main(String[] args) throws Exception {
        Path identities = Path.of(args[0]);
        List<InetSocketAddress> targets = new ArrayList<>();
        for (String port : args[2].split(",")) {
            targets.add(new InetSocketAddress("127.0.0.1", Integer.parseInt(port)));
        }
        SimulatedFleet fleet = new SimulatedFleet(targets, Duration.ofSeconds(Long.parseLong(args[1])));
        byte[] ca = Files.readAllBytes(identities.resolveSibling("ca.crt"));
        fleet.agents.addAll(Files.readAllLines(identities).parallelStream()
                .map(line -> {
                    String[] f = line.split("\t");
                    try {
                        SslContext ssl = GrpcSslContexts.forClient()
                                .keyManager(
                                        new ByteArrayInputStream(
                                                Base64.getDecoder().decode(f[1])),
                                        new ByteArrayInputStream(
                                                Base64.getDecoder().decode(f[2])))
                                .trustManager(new ByteArrayInputStream(ca))
                                .build();
                        return fleet.new Agent(UUID.fromString(f[0]), ssl);
                    } catch (javax.net.ssl.SSLException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .toList());
        System.out.println("@ready " + fleet.agents.size());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] c = line.trim().split(" ");
            switch (c[0]) {
                case "connect" -> fleet.connect(Integer.parseInt(c[1]));
                case "ingest" -> fleet.ingest(Integer.parseInt(c[1]), Integer.parseInt(c[2]));
                case "await-reconciled" -> fleet.awaitReconciled(Integer.parseInt(c[1]));
                case "exit" -> {
                    System.exit(0);
                }
                default -> System.out.println("@error unknown command " + line);
            }
        }
        System.exit(0);
    }

    private void connect(int perSecond) {
        long start = System.nanoTime();
        long interval = 1_000_000_000L / perSecond;
        for (int i = 0; i < agents.size(); i++) {
            LockSupport.parkNanos(start + i * interval - System.nanoTime()); // ramp pacing
            agents.get(i).open();
        }
        awaitAll(start, new int[agents.size()], Duration.ofMinutes(5), "@connected");
    }

    /**
     * Prints how long after {@code since} every agent had its Inventory acked on a session newer
     * than {@code after[i]}, or -1 and how many had at the deadline.
     */
    private void awaitAll(long since, int[] after, Duration timeout, String answer) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int done = 0;
        long last = since;
        for (int i = 0; i < agents.size(); i++) {
            Agent a = agents.get(i);
            while (a.reconciledGeneration <= after[i] && System.nanoTime() < deadline) {
                LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // polling with a deadline
            }
            if (a.reconciledGeneration > after[i]) {
                done++;
                last = Math.max(last, a.reconciledAt);
            }
        }
        StringBuilder ended = new StringBuilder();
        endings.forEach((code, n) -> ended.append(ended.isEmpty() ? "" : ",")
                .append(code)
                .append(':')
                .append(n.sum()));
        System.out.printf(
                "%s %d %d sessions_ended=%s%n",
                answer,
                done,
                done == agents.size() ? (last - since) / 1_000_000 : -1,
                ended.isEmpty() ? "none" : ended);
    }

    private void ingest(int seconds, int window) {
        ingestWindow = window;
        agents.forEach(a -> {
            for (int i = 0; i < window; i++) {
                a.heartbeat();
            }
        });
        LockSupport.parkNanos(Duration.ofSeconds(1).toNanos()); // warm-up before the measured window
        long before = acked.get();
        long start = System.nanoTime();
        System.out.println("@measuring");
        LockSupport.parkNanos(Duration.ofSeconds(seconds).toNanos());
        long events = acked.get() - before;
        double took = (System.nanoTime() - start) / 1e9;
        ingestWindow = 0;
        System.out.printf(java.util.Locale.ROOT, "@ingested %d %.3f%n", events, took);
    }

    /** Waits for every agent to be reconciled on a session opened after this call (the caller kills their replica). */
    private void awaitReconciled(int timeoutSeconds) {
        int[] current = agents.stream().mapToInt(a -> a.reconciledGeneration).toArray();
        long since = System.nanoTime();
        System.out.println("@watching");
        awaitAll(since, current, Duration.ofSeconds(timeoutSeconds), "@reconciled");
    }

    /** One simulated host. Its stream observers are used under its own lock (they are not thread-safe). */
    private final class Agent {
        private final UUID hostId;
        private final SslContext ssl;
        private final String instance = UUID.randomUUID().toString();
        private ManagedChannel channel;
        private StreamObserver<AgentCommandsMessage> commands;
        private StreamObserver<AgentEvent> events;
        private long seq;
        private int generation;
        private int failures;
        private int nextTarget;
        private boolean answered;
        /** The latest session whose Inventory the control plane acked (0: none yet). */
        volatile int reconciledGeneration;

        volatile long reconciledAt;

        Agent(UUID hostId, SslContext ssl) {
            this.hostId = hostId;
            this.ssl = ssl;
            long offset = ThreadLocalRandom.current().nextLong(heartbeat.toMillis());
            timer.scheduleAtFixedRate(this::heartbeat, offset, heartbeat.toMillis(), TimeUnit.MILLISECONDS);
        }

        synchronized void open() {
            int gen = ++generation;
            seq = 0;
            answered = false;
            channel = NettyChannelBuilder.forAddress(targets.get(nextTarget++ % targets.size()))
                    .overrideAuthority("localhost")
                    .sslContext(ssl)
                    .eventLoopGroup(loop)
                    .channelType(NioSocketChannel.class)
                    .executor(callbacks)
                    .keepAliveTime(20, TimeUnit.SECONDS)
                    .keepAliveWithoutCalls(true)
                    .build();
            var stub = AgentServiceGrpc.newStub(channel);
            commands = stub.commands(observer(gen, command -> executeNoop(gen, command)));
            commands.onNext(AgentCommandsMessage.newBuilder()
                    .setHello(SessionHello.newBuilder()
                            .setAgentVersion("bench")
                            .setAgentInstanceId(instance)
                            .setDriver("noop"))
                    .build());
            events = stub.events(observer(gen, ack -> acked(gen, ack.getAckedSeq())));
            send(AgentEvent.newBuilder().setInventory(Inventory.newBuilder().setTotal(total())));
        }

        /** A stream observer of session {@code gen}: each message to {@code onNext}; its end ends the session. */
        private <T> StreamObserver<T> observer(int gen, java.util.function.Consumer<T> onNext) {
            return new StreamObserver<>() {
                @Override
                public void onNext(T message) {
                    onNext.accept(message);
                }

                @Override
                public void onError(Throwable t) {
                    ended(gen, t);
                }

                @Override
                public void onCompleted() {
                    ended(gen, null);
                }
            };
        }

        private synchronized void acked(int gen, long ackedSeq) {
            if (gen != generation) {
                return;
            }
            acked.incrementAndGet();
            answered = true;
            if (reconciledGeneration < gen && ackedSeq >= 1) { // seq 1 is this session's Inventory
                reconciledAt = System.nanoTime();
                reconciledGeneration = gen;
            }
            if (ingestWindow > 0) {
                send(AgentEvent.newBuilder().setHeartbeat(Heartbeat.newBuilder().setTotal(total())));
            }
        }

        synchronized void heartbeat() {
            if (events != null) {
                send(AgentEvent.newBuilder().setHeartbeat(Heartbeat.newBuilder().setTotal(total())));
            }
        }

        private synchronized void executeNoop(int gen, Command command) {
            if (gen != generation) {
                return;
            }
            commands.onNext(AgentCommandsMessage.newBuilder()
                    .setAck(CommandAck.newBuilder()
                            .setCommandId(command.getCommandId())
                            .setAccepted(true))
                    .build());
            send(AgentEvent.newBuilder()
                    .setResult(CommandResult.newBuilder()
                            .setCommandId(command.getCommandId())
                            .setOutcome(CommandOutcome.COMMAND_OUTCOME_SUCCEEDED)));
        }

        private void send(AgentEvent.Builder event) {
            try {
                events.onNext(event.setSeq(++seq).build());
            } catch (RuntimeException e) {
                // the stream is closing; ended() reconnects
            }
        }

        /** The session ended: reconnect like the real agent (full-jitter exponential backoff, next address). */
        private synchronized void ended(int gen, Throwable why) {
            if (gen != generation || events == null) {
                return;
            }
            endings.computeIfAbsent(
                            why == null ? "COMPLETED" : describe(io.grpc.Status.fromThrowable(why)),
                            k -> new java.util.concurrent.atomic.LongAdder())
                    .increment();
            events = null;
            channel.shutdownNow();
            failures = answered ? 0 : failures + 1;
            timer.schedule(
                    this::open, ControlPlaneConnection.reconnectDelay(failures).toMillis(), TimeUnit.MILLISECONDS);
        }

        /** The status code and the start of its description, without spaces (answers are space-separated). */
        private static String describe(io.grpc.Status status) {
            String what = status.getDescription() == null ? "" : status.getDescription();
            return status.getCode() + "("
                    + what.substring(0, Math.min(what.length(), 40)).replaceAll("[\\s,:]+", "_") + ")";
        }

        private static Envelope total() {
            return Envelope.newBuilder()
                    .setVcpu(64)
                    .setRamGb(256)
                    .setDiskGb(4000)
                    .build();
        }
    }
}
