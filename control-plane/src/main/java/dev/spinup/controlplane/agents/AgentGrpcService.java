package dev.spinup.controlplane.agents;

import dev.spinup.api.v1.AgentCommandsMessage;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.AgentServiceGrpc;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.EnrollRequest;
import dev.spinup.api.v1.EnrollResponse;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.EventAck;
import dev.spinup.controlplane.api.ApiException;
import dev.spinup.controlplane.db.Database;
import dev.spinup.controlplane.fleet.FleetStore;
import dev.spinup.controlplane.fleet.Host;
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

    private final Database db;
    private final FleetStore fleet;
    private final AgentSessions sessions;
    private final AgentEventHandler events;
    private final dev.spinup.controlplane.fleet.Enrollment enrollment;

    public AgentGrpcService(Database db, FleetStore fleet, AgentSessions sessions, AgentEventHandler events,
                            dev.spinup.controlplane.fleet.Enrollment enrollment) {
        this.enrollment = enrollment;
        this.db = db;
        this.fleet = fleet;
        this.sessions = sessions;
        this.events = events;
    }

    @Override
    public void enroll(EnrollRequest request, StreamObserver<EnrollResponse> responseObserver) {
        if (request.getToken().isEmpty()) {
            throw ApiException.unauthenticated(ErrorReason.ENROLLMENT_TOKEN_INVALID, "an enrollment token is required");
        }
        String fqdn = request.getFqdn();
        if (!fqdn.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")) {
            throw ApiException.invalidField(ErrorReason.FIELD_INVALID, "fqdn", "fqdn must be a host name");
        }
        var total = request.getTotal();
        if (total.getVcpu() <= 0 || total.getRamGb() <= 0 || total.getDiskGb() <= 0) {
            throw ApiException.invalidField(ErrorReason.FIELD_INVALID, "total", "total capacity must be positive");
        }
        var enrolled = enrollment.enroll(request.getToken(), request.getCsrPem(), fqdn.toLowerCase(java.util.Locale.ROOT),
                new dev.spinup.controlplane.workspaces.Envelope(total.getVcpu(), total.getRamGb(), total.getDiskGb()));
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

            @Override
            public void onNext(AgentCommandsMessage message) {
                switch (message.getKindCase()) {
                    case HELLO -> {
                        if (session != null) {
                            fail(Status.Code.INVALID_ARGUMENT, "a session says hello once");
                            return;
                        }
                        if (!db.withHandle(h -> fleet.openSession(h, hostId, message.getHello().getEdgeAddress()))) {
                            Optional<Host> host = db.withHandle(h -> fleet.findHost(h, hostId));
                            log.warn("event=agent_refused host={} reason={}", hostId,
                                    host.isEmpty() ? "unknown_host" : "retired");
                            responseObserver.onError(ApiException.notFound(ErrorReason.HOST_NOT_FOUND,
                                    "host " + hostId + " is not registered (or is retired)").toStatusRuntimeException());
                            return;
                        }
                        log.info("event=agent_session_opened host={} agent_instance={} driver={} edge={}", hostId,
                                message.getHello().getAgentInstanceId(), message.getHello().getDriver(),
                                message.getHello().getEdgeAddress());
                        session = sessions.open(hostId, message.getHello().getAgentInstanceId(), stream);
                    }
                    case ACK -> {
                        if (session == null) {
                            fail(Status.Code.FAILED_PRECONDITION, "hello must come first");
                            return;
                        }
                        events.ack(hostId, message.getAck());
                    }
                    case KIND_NOT_SET -> fail(Status.Code.INVALID_ARGUMENT, "empty message");
                }
            }

            private void fail(Status.Code code, String message) {
                responseObserver.onError(new ApiException(code, ErrorReason.FIELD_INVALID, message,
                        java.util.Map.of()).toStatusRuntimeException());
            }

            @Override
            public void onError(Throwable t) {
                end("error: " + Status.fromThrowable(t).getCode());
            }

            @Override
            public void onCompleted() {
                end("completed");
                responseObserver.onCompleted();
            }

            private void end(String why) {
                if (session != null) {
                    sessions.closed(session);
                    log.info("event=agent_session_closed host={} why=\"{}\"", hostId, why);
                }
            }
        };
    }

    @Override
    public StreamObserver<AgentEvent> events(StreamObserver<EventAck> responseObserver) {
        UUID hostId = HostIdentity.current();
        ServerCallStreamObserver<EventAck> acks = (ServerCallStreamObserver<EventAck>) responseObserver;
        // Manual flow control: the next event is read only once this one is durably applied, so a
        // slow database pushes back on this host's event stream alone, never on its commands.
        acks.disableAutoRequest();
        acks.request(1);
        return new StreamObserver<>() {
            @Override
            public void onNext(AgentEvent event) {
                try {
                    events.handle(hostId, event);
                } catch (RuntimeException e) {
                    log.warn("event=agent_event_failed host={} seq={} error={}", hostId, event.getSeq(), e.toString());
                    responseObserver.onError(Status.UNAVAILABLE.withDescription("event not applied; replay it")
                            .asRuntimeException());
                    return;
                }
                acks.onNext(EventAck.newBuilder().setAckedSeq(event.getSeq()).build());
                acks.request(1);
            }

            @Override
            public void onError(Throwable t) {
                log.info("event=agent_events_closed host={} status={}", hostId, Status.fromThrowable(t).getCode());
            }

            @Override
            public void onCompleted() {
                responseObserver.onCompleted();
            }
        };
    }
}
