package dev.spinup.controlplane.agents;

import dev.spinup.api.LogText;
import dev.spinup.api.v1.AgentCommandsMessage;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.AgentServiceGrpc;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.EnrollRequest;
import dev.spinup.api.v1.EnrollResponse;
import dev.spinup.api.v1.EventAck;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Host;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.grpc.GrpcErrors;
import dev.spinup.controlplane.store.StoreException;
import dev.spinup.controlplane.store.Transactions;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent session: a commands stream (commands down, hello and acks up) and an events stream
 * (events up, high-water-mark acks down). The host id comes from the client certificate only.
 */
public final class AgentGrpcService extends AgentServiceGrpc.AgentServiceImplBase {
    private static final Logger log = LoggerFactory.getLogger(AgentGrpcService.class);

    private final Transactions db;
    private final AgentSessions sessions;
    private final AgentEventHandler events;
    private final dev.spinup.controlplane.fleet.Enrollment enrollment;
    private final RefusedEvents refusals;
    private final io.micrometer.core.instrument.MeterRegistry meters;

    public AgentGrpcService(
            Transactions db,
            AgentSessions sessions,
            AgentEventHandler events,
            dev.spinup.controlplane.fleet.Enrollment enrollment,
            RefusedEvents refusals,
            io.micrometer.core.instrument.MeterRegistry meters) {
        this.enrollment = enrollment;
        this.refusals = refusals;
        this.meters = meters;
        // documented series exist from start, at 0, so a rate() sees their first increase
        for (String reason : java.util.List.of("unknown_host", "retired", "lost")) {
            meters.counter("spinup_agent_sessions_refused", "reason", reason);
        }
        this.db = db;
        this.sessions = sessions;
        this.events = events;
    }

    private static final java.util.regex.Pattern EDGE_ADDRESS = java.util.regex.Pattern.compile(
            "(([A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)|\\[[0-9A-Fa-f:.]{2,45}\\]):[0-9]{1,5}");
    private static final java.util.regex.Pattern PRINTABLE = java.util.regex.Pattern.compile("[\\x20-\\x7E]{0,128}");

    /** Why a session hello cannot be taken, or null: fields that reach the database and the logs are checked first. */
    static String helloProblem(dev.spinup.api.v1.SessionHello hello) {
        String edge = hello.getEdgeAddress();
        if (!edge.isEmpty()
                && (edge.length() > 260 || !EDGE_ADDRESS.matcher(edge).matches())) {
            return "edge_address must be host:port (or empty for a host without an edge): \"" + LogText.of(edge, 64)
                    + "\"";
        }
        for (var f : java.util.Map.of(
                        "agent_version",
                        hello.getAgentVersion(),
                        "agent_instance_id",
                        hello.getAgentInstanceId(),
                        "driver",
                        hello.getDriver())
                .entrySet()) {
            if (!PRINTABLE.matcher(f.getValue()).matches()) {
                return f.getKey() + " must be at most 128 printable ASCII characters";
            }
        }
        return null;
    }

    @Override
    public void enroll(EnrollRequest request, StreamObserver<EnrollResponse> responseObserver) {
        if (request.getToken().isEmpty() && !request.hasAwsIdentity()) {
            throw SpinUpException.unauthenticated(
                    ErrorReason.ENROLLMENT_TOKEN_INVALID, "an enrollment token (or an instance identity) is required");
        }
        String fqdn = request.getFqdn();
        if (!fqdn.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, "fqdn", "fqdn must be a host name");
        }
        var total = request.getTotal();
        if (total.getVcpu() <= 0 || total.getRamGb() <= 0 || total.getDiskGb() <= 0) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, "total", "total capacity must be positive");
        }
        var capacity = new dev.spinup.controlplane.core.Envelope(total.getVcpu(), total.getRamGb(), total.getDiskGb());
        String name = fqdn.toLowerCase(java.util.Locale.ROOT);
        var enrolled = request.getToken().isEmpty()
                ? enrollment.enrollInstance(
                        request.getAwsIdentity().getDocument(),
                        request.getAwsIdentity().getRsa2048(),
                        request.getCsrPem(),
                        name,
                        capacity)
                : enrollment.enroll(request.getToken(), request.getCsrPem(), name, capacity);
        responseObserver.onNext(EnrollResponse.newBuilder()
                .setHostId(enrolled.hostId().toString())
                .setCertificatePem(enrolled.certificatePem())
                .setCaCertificatePem(enrolled.caCertificatePem())
                .setRegion(enrolled.region())
                .build());
        responseObserver.onCompleted();
    }

    @Override
    public StreamObserver<AgentCommandsMessage> commands(StreamObserver<Command> responseObserver) {
        UUID hostId = HostIdentity.current();
        ServerCallStreamObserver<Command> stream = (ServerCallStreamObserver<Command>) responseObserver;
        return new StreamObserver<>() {
            private AgentSessions.Session session;
            /** This side ended the call: what the agent still sends is ignored. */
            private volatile boolean closed;

            @Override
            public void onNext(AgentCommandsMessage message) {
                if (closed) {
                    return;
                }
                switch (message.getKindCase()) {
                    case HELLO -> {
                        if (session != null) {
                            fail(SpinUpException.Kind.INVALID_ARGUMENT, "a session says hello once");
                            return;
                        }
                        String problem = helloProblem(message.getHello());
                        if (problem != null) {
                            log.atWarn()
                                    .setMessage("agent_refused")
                                    .addKeyValue("host", hostId)
                                    .addKeyValue("reason", "bad_hello")
                                    .addKeyValue("problem", problem)
                                    .log();
                            fail(SpinUpException.Kind.INVALID_ARGUMENT, problem);
                            return;
                        }
                        if (!db.inTransaction(tx -> tx.fleet()
                                .openSession(hostId, message.getHello().getEdgeAddress()))) {
                            closed = true;
                            responseObserver.onError(refusal(hostId, "commands"));
                            return;
                        }
                        log.atInfo()
                                .setMessage("agent_session_opened")
                                .addKeyValue("host", hostId)
                                .addKeyValue(
                                        "agent_instance", message.getHello().getAgentInstanceId())
                                .addKeyValue("driver", message.getHello().getDriver())
                                .addKeyValue("edge", message.getHello().getEdgeAddress())
                                .log();
                        session = sessions.open(hostId, message.getHello().getAgentInstanceId(), stream);
                    }
                    case ACK -> {
                        if (session == null) {
                            fail(SpinUpException.Kind.FAILED_PRECONDITION, "hello must come first");
                            return;
                        }
                        events.ack(hostId, message.getAck());
                    }
                    case KIND_NOT_SET -> fail(SpinUpException.Kind.INVALID_ARGUMENT, "empty message");
                }
            }

            private void fail(SpinUpException.Kind code, String message) {
                closed = true;
                end("refused: " + message);
                responseObserver.onError(GrpcErrors.toStatus(
                        new SpinUpException(code, ErrorReason.FIELD_INVALID, message, java.util.Map.of())));
            }

            @Override
            public void onError(Throwable t) {
                end("error: " + Status.fromThrowable(t).getCode());
            }

            @Override
            public void onCompleted() {
                end("completed");
                if (!closed) {
                    closed = true;
                    responseObserver.onCompleted();
                }
            }

            private void end(String why) {
                if (session != null) {
                    sessions.closed(session);
                    log.atInfo()
                            .setMessage("agent_session_closed")
                            .addKeyValue("host", hostId)
                            .addKeyValue("why", why)
                            .log();
                    session = null;
                }
            }
        };
    }

    /**
     * Why a host's session is refused: unknown or retired (NOT_FOUND), or lost (PERMISSION_DENIED,
     * HOST_LOST: its agent stops every workspace it still runs and keeps their disks).
     */
    private Throwable refusal(UUID hostId, String stream) {
        Optional<Host> host = db.read(tx -> tx.fleet().findHost(hostId));
        String reason = host.isEmpty() ? "unknown_host" : host.get().state().wire();
        meters.counter("spinup_agent_sessions_refused", "reason", reason).increment();
        log.atWarn()
                .setMessage("agent_refused")
                .addKeyValue("host", hostId)
                .addKeyValue("stream", stream)
                .addKeyValue("reason", reason)
                .log();
        if (host.isPresent() && host.get().state() == HostState.LOST) {
            return GrpcErrors.toStatus(lost(hostId, host.get().stateReason()));
        }
        return GrpcErrors.toStatus(SpinUpException.notFound(
                ErrorReason.HOST_NOT_FOUND, "hostId", hostId, "host " + hostId + " is not registered (or is retired)"));
    }

    /** What a fenced host is told: its session is refused, and why. */
    public static SpinUpException lost(UUID hostId, String why) {
        return SpinUpException.permissionDenied(
                ErrorReason.HOST_LOST,
                "host " + hostId + " was declared lost (" + why + "): its workspaces run elsewhere; stop every"
                        + " workspace here and keep the disks",
                java.util.Map.of("hostId", hostId.toString()));
    }

    @Override
    public StreamObserver<AgentEvent> events(StreamObserver<EventAck> responseObserver) {
        UUID hostId = HostIdentity.current();
        ServerCallStreamObserver<EventAck> acks = (ServerCallStreamObserver<EventAck>) responseObserver;
        if (!db.read(tx -> tx.fleet().isActiveHost(hostId))) {
            // A certificate of this CA for a host that is not (or no longer) registered, or is
            // fenced: nothing it says is applied, heartbeats included.
            responseObserver.onError(refusal(hostId, "events"));
            return new StreamObserver<>() {
                @Override
                public void onNext(AgentEvent value) {}

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {}
            };
        }
        // Manual flow control: the next event is read only once this one is durably applied, so a
        // slow database pushes back on this host's event stream alone, never on its commands.
        acks.disableAutoRequest();
        acks.request(1);
        return new StreamObserver<>() {
            /** This side ended the call (the agent replays on its next session). */
            private volatile boolean closed;

            @Override
            public void onNext(AgentEvent event) {
                if (closed) {
                    return;
                }
                EventAck.Builder ack = EventAck.newBuilder().setAckedSeq(event.getSeq());
                try {
                    events.handle(hostId, event);
                } catch (RefusedEventException refused) {
                    refuse(event, refused.reason(), refused.getMessage(), ack);
                } catch (StoreException.InvalidData | StoreException.Duplicate e) {
                    // The database refused the event's data itself: a replay would fail the same way.
                    refuse(event, "invalid_data", e.getMessage() == null ? e.toString() : e.getMessage(), ack);
                } catch (RuntimeException e) {
                    log.atWarn()
                            .setMessage("agent_event_failed")
                            .addKeyValue("host", hostId)
                            .addKeyValue("seq", event.getSeq())
                            .addKeyValue("error", e.toString())
                            .log();
                    closed = true;
                    responseObserver.onError(Status.UNAVAILABLE
                            .withDescription("event not applied; replay it")
                            .asRuntimeException());
                    return;
                }
                acks.onNext(ack.build());
                acks.request(1);
            }

            private void refuse(AgentEvent event, String reason, String message, EventAck.Builder ack) {
                refusals.record(hostId, event, reason, message);
                ack.addRefused(dev.spinup.api.v1.RefusedEvent.newBuilder()
                        .setSeq(event.getSeq())
                        .setReason(reason)
                        .setMessage(LogText.of(message, 1000)));
            }

            @Override
            public void onError(Throwable t) {
                log.atInfo()
                        .setMessage("agent_events_closed")
                        .addKeyValue("host", hostId)
                        .addKeyValue("status", Status.fromThrowable(t).getCode())
                        .log();
            }

            @Override
            public void onCompleted() {
                if (!closed) {
                    closed = true;
                    responseObserver.onCompleted();
                }
            }
        };
    }
}
