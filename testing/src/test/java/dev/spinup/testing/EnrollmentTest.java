package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import dev.spinup.agent.HostAgent;
import dev.spinup.agent.HostAgentConfig;
import dev.spinup.agent.HostEnrollment;
import dev.spinup.api.v1.AgentCommandsMessage;
import dev.spinup.api.v1.AgentServiceGrpc;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.CreateEnrollmentTokenRequest;
import dev.spinup.api.v1.Envelope;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetHostRequest;
import dev.spinup.api.v1.Host;
import dev.spinup.api.v1.HostState;
import dev.spinup.api.v1.SessionHello;
import dev.spinup.controlplane.pki.CertificateAuthority;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A new host enrolls once with a token and a CSR, then authenticates only by its certificate. */
class EnrollmentTest {
    static final SettableClock clock = new SettableClock();
    static SpinUpCluster cluster;
    static final Envelope CAPACITY =
            Envelope.newBuilder().setVcpu(4).setRamGb(8).setDiskGb(50).build();

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.clock(clock));

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
    }

    @Test
    void aHostEnrollsOnceAndThenConnectsWithItsCertificate() throws Exception {
        String token = token(600);
        Path creds = spinup.dir().resolve("new-host");

        var enrolled =
                HostEnrollment.enroll(target(), cluster.caCertificate(), token, "new-host.test", CAPACITY, creds);

        assertThat(Files.getPosixFilePermissions(creds.resolve("host.key")))
                .isEqualTo(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        assertThat(commonName(creds.resolve("host.crt"))).isEqualTo(enrolled.getHostId());
        assertThat(enrolled.getRegion()).isEqualTo(SpinUpCluster.REGION);
        try (HostAgent agent = HostAgent.start(
                new HostAgentConfig(
                        List.of(target()),
                        creds.resolve("host.crt"),
                        creds.resolve("host.key"),
                        creds.resolve("ca.crt"),
                        creds,
                        null,
                        "127.0.0.1",
                        24000,
                        24099,
                        4,
                        8,
                        50,
                        java.time.Duration.ofSeconds(10),
                        java.time.Duration.ofSeconds(30)),
                clock)) {
            Eventually.await(java.time.Duration.ofSeconds(30), "the enrolled agent to connect", agent::isConnected);
            Host host = Eventually.await(
                    java.time.Duration.ofSeconds(30),
                    "its first heartbeat",
                    () -> cluster.admin()
                            .getHost(GetHostRequest.newBuilder()
                                    .setHostId(enrolled.getHostId())
                                    .build())
                            .getHost(),
                    h -> h.getState() == HostState.HOST_STATE_HEALTHY);
            assertThat(host.getFqdn()).isEqualTo("new-host.test");
            assertThat(host.getTotal().getVcpu()).isEqualTo(4);
        }

        assertError(
                () -> HostEnrollment.enroll(
                        target(),
                        cluster.caCertificate(),
                        token,
                        "second.test",
                        CAPACITY,
                        spinup.dir().resolve("second")),
                Status.Code.UNAUTHENTICATED,
                ErrorReason.ERROR_REASON_ENROLLMENT_TOKEN_USED);
    }

    @Test
    void expiredAndUnknownTokensAreRefused() {
        String shortLived = token(60);
        clock.advance(java.time.Duration.ofMinutes(2));
        assertError(
                () -> HostEnrollment.enroll(
                        target(),
                        cluster.caCertificate(),
                        shortLived,
                        "late.test",
                        CAPACITY,
                        spinup.dir().resolve("late")),
                Status.Code.UNAUTHENTICATED,
                ErrorReason.ERROR_REASON_ENROLLMENT_TOKEN_EXPIRED);
        assertError(
                () -> HostEnrollment.enroll(
                        target(),
                        cluster.caCertificate(),
                        "spe_made-up",
                        "fake.test",
                        CAPACITY,
                        spinup.dir().resolve("fake")),
                Status.Code.UNAUTHENTICATED,
                ErrorReason.ERROR_REASON_ENROLLMENT_TOKEN_INVALID);
    }

    @Test
    void agentRpcsWithoutAHostCertificateAreRefused() throws Exception {
        StatusRuntimeException error = helloRefused(cluster.channel(), SessionHello.getDefaultInstance());
        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(ApiAssertions.errorInfo(error).getReason()).isEqualTo("CLIENT_CERTIFICATE_REQUIRED");
    }

    @Test
    void aRetiredHostOpensNoSessionEvenWithAValidCertificate() throws Exception {
        SpinUpCluster.RegisteredHost retired =
                cluster.registerHost(new dev.spinup.controlplane.core.Envelope(4, 8, 50));
        cluster.database()
                .withHandle(h -> h.createUpdate("UPDATE hosts SET state = 'retired' WHERE id = :id")
                        .bind("id", retired.id())
                        .execute());
        StatusRuntimeException error = helloRefused(
                cluster.hostChannel(retired),
                SessionHello.newBuilder().setEdgeAddress("10.0.0.9:80").build());
        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(ApiAssertions.errorInfo(error).getReason()).isEqualTo("HOST_NOT_FOUND");
        String edge = cluster.database()
                .withHandle(h -> h.createQuery("SELECT edge_address FROM hosts WHERE id = :id")
                        .bind("id", retired.id())
                        .mapTo(String.class)
                        .one());
        assertThat(edge).as("a refused hello changes nothing").isNull();
    }

    /** Says hello on a commands stream of {@code channel}; returns the error the control plane ended it with. */
    private static StatusRuntimeException helloRefused(io.grpc.Channel channel, SessionHello hello) throws Exception {
        CompletableFuture<Throwable> closed = new CompletableFuture<>();
        AgentServiceGrpc.newStub(channel)
                .commands(new StreamObserver<Command>() {
                    @Override
                    public void onNext(Command value) {
                        closed.complete(
                                new AssertionError("a command was sent to a caller that may not have a session"));
                    }

                    @Override
                    public void onError(Throwable t) {
                        closed.complete(t);
                    }

                    @Override
                    public void onCompleted() {
                        closed.complete(new AssertionError("completed without an error"));
                    }
                })
                .onNext(AgentCommandsMessage.newBuilder().setHello(hello).build());
        Throwable error = closed.get(10, TimeUnit.SECONDS);
        assertThat(error).isInstanceOf(StatusRuntimeException.class);
        return (StatusRuntimeException) error;
    }

    private static String token(int ttlSeconds) {
        return cluster.admin()
                .createEnrollmentToken(CreateEnrollmentTokenRequest.newBuilder()
                        .setRegion(SpinUpCluster.REGION)
                        .setTtl(Duration.newBuilder().setSeconds(ttlSeconds))
                        .build())
                .getToken();
    }

    private static String target() {
        return "localhost:" + cluster.controlPlane().grpcPort();
    }

    private static String commonName(Path certificate) throws Exception {
        String dn = CertificateAuthority.readCertificate(certificate)
                .getSubjectX500Principal()
                .getName();
        return dn.replaceFirst("^CN=", "");
    }
}
