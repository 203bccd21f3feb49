package dev.spinup.controlplane.agents;

import dev.spinup.api.AgentProtocol;
import dev.spinup.api.v1.Command;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import io.grpc.stub.ServerCallStreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent sessions this replica holds, and delivery of outbox commands to them. Each session
 * sends from one virtual thread at a time; a command is sent once per session (and again on the
 * next session if it still has no result).
 *
 * <p>A command enqueued on this replica for a host whose session is here is handed to the session
 * when its transaction commits and sent as it is, without reading the outbox back first. Every
 * other way in reads the host's outstanding commands from the outbox, in outbox order: a
 * session's start, and the NOTIFY every enqueue sends at commit (for a session on another replica,
 * or one that moved here meanwhile; here it finds the command sent already, and prunes the
 * session's record of what it sent).
 */
public final class AgentSessions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentSessions.class);

    private final Transactions db;
    private final CommandOutbox outbox;
    private final CommandRenderer renderer;
    private final BiConsumer<Tx, String> wakeJob;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Counter dispatchFailures;
    private final Counter agentSessionsOpened;
    private final ConcurrentMap<UUID, Session> sessions = new ConcurrentHashMap<>();
    private final ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * @param renderer completes each command as it is sent
     * @param wakeJob  makes an operation's job due now, inside the transaction that records what it waited for
     */
    public AgentSessions(
            Transactions db,
            CommandOutbox outbox,
            CommandRenderer renderer,
            BiConsumer<Tx, String> wakeJob,
            Clock clock,
            MeterRegistry meters) {
        this.db = db;
        this.outbox = outbox;
        this.renderer = renderer;
        this.wakeJob = wakeJob;
        this.clock = clock;
        this.meters = meters;
        // documented series exist from start, at 0, so a rate() sees their first increase
        this.dispatchFailures = meters.counter("spinup_background_failures", "loop", "agent_dispatch");
        for (Command.KindCase kind : Command.KindCase.values()) {
            if (kind != Command.KindCase.KIND_NOT_SET) {
                meters.counter("spinup_agent_commands_sent", "kind", kind.name(), "via", "commit");
                meters.counter("spinup_agent_commands_sent", "kind", kind.name(), "via", "outbox");
                meters.counter("spinup_agent_commands_too_large", "kind", kind.name());
            }
        }
        this.agentSessionsOpened = meters.counter("spinup_agent_sessions_opened");
        meters.gauge("spinup_agent_sessions", sessions, ConcurrentMap::size);
    }

    /** Puts a command in the outbox (inside the caller's transaction) and sends it once committed. */
    public void enqueue(Tx tx, UUID hostId, Command command) {
        if (outbox.enqueue(tx, hostId, command, clock.instant())) {
            tx.afterCommit(() -> {
                Session session = sessions.get(hostId);
                if (session != null) {
                    session.sendNew(command);
                }
            });
        }
    }

    /** Sends the host's outstanding commands if this replica holds its session. */
    public void dispatch(UUID hostId) {
        Session session = sessions.get(hostId);
        if (session != null) {
            session.requestSend();
        }
    }

    public boolean isConnected(UUID hostId) {
        return sessions.containsKey(hostId);
    }

    Session open(UUID hostId, String agentInstanceId, ServerCallStreamObserver<Command> stream) {
        Session session = new Session(hostId, agentInstanceId, stream);
        Session previous = sessions.put(hostId, session);
        if (previous != null) {
            log.atInfo()
                    .setMessage("agent_session_replaced")
                    .addKeyValue("host", hostId)
                    .addKeyValue("previous_instance", previous.agentInstanceId)
                    .log();
            previous.close();
        }
        agentSessionsOpened.increment();
        session.requestSend();
        return session;
    }

    /**
     * Ends the host's session on this replica, if it holds one, with {@code why}: the host was
     * declared lost, and its agent is to stop what it runs.
     */
    public void fence(UUID hostId, Throwable why) {
        Session session = sessions.get(hostId);
        if (session != null) {
            session.close(why);
        }
    }

    void closed(Session session) {
        sessions.remove(session.hostId, session);
    }

    @Override
    public void close() {
        sessions.values().forEach(Session::close);
        // Send passes in progress end on their own once their sessions are closed; interrupting
        // one inside a statement would close its database connection under it (a virtual
        // thread's socket read is interruptible), logged as a broken connection.
        senders.shutdown();
        try {
            if (!senders.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)) {
                senders.shutdownNow();
            }
        } catch (InterruptedException e) {
            senders.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    final class Session {
        final UUID hostId;
        final String agentInstanceId;
        private final ServerCallStreamObserver<Command> stream;
        private final Set<String> sent = ConcurrentHashMap.newKeySet();
        /** Commands handed over at their enqueue's commit, not yet sent. */
        private final Queue<Command> fresh = new ConcurrentLinkedQueue<>();

        private final Object lock = new Object();
        private boolean sending;
        private boolean again;
        /** The next pass reads the outbox (else it sends only {@link #fresh}). */
        private boolean fullPass;

        private volatile boolean closed;

        Session(UUID hostId, String agentInstanceId, ServerCallStreamObserver<Command> stream) {
            this.hostId = hostId;
            this.agentInstanceId = agentInstanceId;
            this.stream = stream;
        }

        /** Sends the host's outstanding commands, read from the outbox. */
        void requestSend() {
            request(true);
        }

        /** Sends a command just committed to the outbox. */
        void sendNew(Command command) {
            fresh.add(command);
            request(false);
        }

        /** Coalesces wake-ups: at most one send pass runs, and one more follows if asked meanwhile. */
        private void request(boolean full) {
            synchronized (lock) {
                fullPass |= full;
                if (sending) {
                    again = true;
                    return;
                }
                sending = true;
            }
            senders.execute(this::sendLoop);
        }

        private void sendLoop() {
            while (true) {
                boolean full;
                synchronized (lock) {
                    full = fullPass;
                    fullPass = false;
                }
                try {
                    if (full) {
                        // every command handed over so far has committed: the read finds it
                        fresh.clear();
                        sendOutstanding();
                    } else {
                        sendFresh();
                    }
                } catch (RuntimeException e) {
                    dispatchFailures.increment();
                    log.atWarn()
                            .setMessage("agent_dispatch_failed")
                            .addKeyValue("host", hostId)
                            .addKeyValue("error", e.toString())
                            .log();
                }
                synchronized (lock) {
                    if (!again || closed) {
                        sending = false;
                        return;
                    }
                    again = false;
                }
            }
        }

        /**
         * Sends the host's outstanding commands this session has not sent yet, each completed at
         * this moment (see {@link CommandRenderer}). Ids of commands that have their result leave
         * {@link #sent}, so it holds only what is in flight.
         */
        private void sendOutstanding() {
            List<CommandOutbox.Outstanding> outstanding = db.read(tx -> outbox.outstanding(tx, hostId, sent));
            sent.retainAll(outstanding.stream()
                    .map(CommandOutbox.Outstanding::commandId)
                    .collect(Collectors.toSet()));
            for (CommandOutbox.Outstanding o : outstanding) {
                if (o.command() != null) {
                    send(o.command(), "outbox");
                }
            }
        }

        private void sendFresh() {
            for (Command c = fresh.poll(); c != null; c = fresh.poll()) {
                send(c, "commit");
            }
        }

        /**
         * Sends the command as stored unless this session sent it already; {@code via}: handed over
         * at its enqueue's commit, or read from the outbox.
         */
        private void send(Command stored, String via) {
            if (closed || !sent.add(stored.getCommandId())) {
                return;
            }
            Command command = db.inTransaction(tx -> render(tx, stored));
            if (command == null) {
                return;
            }
            synchronized (stream) {
                stream.onNext(command);
            }
            meters.counter(
                            "spinup_agent_commands_sent",
                            "kind",
                            command.getKindCase().name(),
                            "via",
                            via)
                    .increment();
            log.atInfo()
                    .setMessage("command_sent")
                    .addKeyValue("host", hostId)
                    .addKeyValue("command", command.getCommandId())
                    .addKeyValue("kind", command.getKindCase())
                    .addKeyValue("bytes", command.getSerializedSize())
                    .log();
        }

        /**
         * Completes the command and marks it sent, in one transaction (losing the mark in a crash of
         * PostgreSQL costs a resend, which the agent answers from its record). A command that comes
         * out over the agent protocol's size limit is not sent: that is its result, and its job is
         * woken with it (sent, it would break the host's session at every attempt).
         */
        private Command render(Tx tx, Command stored) {
            Instant now = clock.instant();
            Command command = renderer.render(tx, hostId, stored, now);
            int bytes = command.getSerializedSize();
            if (bytes > AgentProtocol.MAX_COMMAND_BYTES) {
                meters.counter(
                                "spinup_agent_commands_too_large",
                                "kind",
                                command.getKindCase().name())
                        .increment();
                log.atError()
                        .setMessage("command_too_large")
                        .addKeyValue("host", hostId)
                        .addKeyValue("command", command.getCommandId())
                        .addKeyValue("kind", command.getKindCase())
                        .addKeyValue("bytes", bytes)
                        .addKeyValue("limit", AgentProtocol.MAX_COMMAND_BYTES)
                        .log();
                outbox.recordRefusal(
                                tx,
                                hostId,
                                command.getCommandId(),
                                "too_large",
                                AgentCommands.describe(command) + " for host " + hostId + " is " + bytes
                                        + " bytes, over the agent protocol's limit of "
                                        + AgentProtocol.MAX_COMMAND_BYTES,
                                now)
                        .ifPresent(jobId -> wakeJob.accept(tx, jobId));
                return null;
            }
            tx.commitWithoutWaitingForDisk();
            tx.commands().markSent(command.getCommandId(), bytes, now);
            return command;
        }

        void close() {
            close(null);
        }

        /** @param why the error the agent is told; null: the stream just completes */
        void close(Throwable why) {
            closed = true;
            sessions.remove(hostId, this);
            try {
                synchronized (stream) {
                    if (why == null) {
                        stream.onCompleted();
                    } else {
                        stream.onError(why);
                    }
                }
            } catch (RuntimeException e) {
                // already cancelled by the peer
            }
        }
    }
}
