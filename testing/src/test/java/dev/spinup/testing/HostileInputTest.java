package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.spinup.api.v1.AddDomainRequest;
import dev.spinup.api.v1.AgentCommandsMessage;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.AgentServiceGrpc;
import dev.spinup.api.v1.CertState;
import dev.spinup.api.v1.CertificateStatus;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.CommandProgress;
import dev.spinup.api.v1.CreateEnrollmentTokenRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.EventAck;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Heartbeat;
import dev.spinup.api.v1.ListRegionsRequest;
import dev.spinup.api.v1.SessionHello;
import dev.spinup.api.v1.WorkspaceServiceGrpc;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.pki.CertificateAuthority;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every answer to a hostile or broken input is a status with an ErrorInfo, and nothing such an
 * input carries can break the server, loop an agent, forge a log line or slip past a check:
 * malformed bodies, a body declared gzip that is not, a 60,000-character domain, a duration that
 * overflows, a NUL in an agent's hello, events no replay could fix, text that tries to start a log
 * line of its own, a certificate for a host nobody registered, and client certificates the TLS
 * handshake refuses.
 */
class HostileInputTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    };

    /** The receiving side of a stream as a test sees it: what arrived and how it ended. */
    static class Received<T> implements StreamObserver<T> {
        final List<T> messages = new CopyOnWriteArrayList<>();
        /** The stream's error, or null once it completed. */
        final CompletableFuture<Throwable> ended = new CompletableFuture<>();

        @Override
        public void onNext(T message) {
            messages.add(message);
        }

        @Override
        public void onError(Throwable t) {
            ended.complete(t);
        }

        @Override
        public void onCompleted() {
            ended.complete(null);
        }
    }

    /** An agent's events stream as a test drives it: what it sends, the acks it gets, how it ended. */
    static final class EventsStream extends Received<EventAck> {
        final List<EventAck> acks = messages;
        final StreamObserver<AgentEvent> events;

        EventsStream(io.grpc.Channel channel) {
            this.events = AgentServiceGrpc.newStub(channel).events(this);
        }
    }

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
    }

    /** Calls {@code method} with {@code body} as its raw request bytes, as the admin. */
    static StatusRuntimeException rawCall(MethodDescriptor<?, ?> method, byte[] body, CallOptions options) {
        MethodDescriptor<byte[], byte[]> raw = method.toBuilder(BYTES, BYTES).build();
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + cluster.adminToken());
        var channel = io.grpc.ClientInterceptors.intercept(
                cluster.channel(), io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(auth));
        try {
            ClientCalls.blockingUnaryCall(channel, raw, options.withDeadlineAfter(30, TimeUnit.SECONDS), body);
            return null;
        } catch (StatusRuntimeException e) {
            return e;
        }
    }

    @Test
    void aBodyThatIsNotTheRequestMessageIsInvalidArgumentMalformedRequest() {
        MethodDescriptor<?, ?> get = WorkspaceServiceGrpc.getGetWorkspaceMethod();
        byte[] valid = GetWorkspaceRequest.newBuilder()
                .setWorkspaceId(UUID.randomUUID().toString())
                .build()
                .toByteArray();
        List<byte[]> bodies = List.of(
                new byte[] {(byte) 0x8f, (byte) 0xc4, 0x1e, 0x77, (byte) 0xa0}, // random bytes
                java.util.Arrays.copyOf(valid, valid.length / 2), // truncated
                new byte[] {0x0f, 1, 2, 3, 4}, // wire type 7
                new byte[] {0x0a, 0x02, (byte) 0xc3, 0x28}); // invalid UTF-8
        for (byte[] body : bodies) {
            StatusRuntimeException e = rawCall(get, body, CallOptions.DEFAULT);
            assertError(
                    () -> {
                        throw e;
                    },
                    Status.Code.INVALID_ARGUMENT,
                    ErrorReason.ERROR_REASON_MALFORMED_REQUEST);
        }
        assertThat(cluster.admin()
                        .listRegions(ListRegionsRequest.getDefaultInstance())
                        .getRegionsCount())
                .as("the server still answers")
                .isPositive();
    }

    @Test
    void aBodyDeclaredGzipThatIsNotGzipIsMalformedRequestNotInternal() {
        StatusRuntimeException e = rawCallDeclaring(
                "gzip",
                GetWorkspaceRequest.newBuilder()
                        .setWorkspaceId(UUID.randomUUID().toString())
                        .build()
                        .toByteArray());
        assertError(
                () -> {
                    throw e;
                },
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_MALFORMED_REQUEST);
    }

    /** A unary call whose message is flagged compressed with {@code encoding} but is sent as it is. */
    private static StatusRuntimeException rawCallDeclaring(String encoding, byte[] body) {
        io.grpc.CompressorRegistry registry = io.grpc.CompressorRegistry.newEmptyInstance();
        registry.register(new io.grpc.Compressor() {
            @Override
            public String getMessageEncoding() {
                return encoding;
            }

            @Override
            public OutputStream compress(OutputStream os) {
                return os; // the bytes as they are, flagged compressed
            }
        });
        ManagedChannel channel;
        try {
            channel = io.grpc.netty.NettyChannelBuilder.forAddress(
                            "localhost", cluster.controlPlane().grpcPort())
                    .sslContext(io.grpc.netty.GrpcSslContexts.forClient()
                            .trustManager(cluster.caCertificate().toFile())
                            .build())
                    .compressorRegistry(registry)
                    .build();
        } catch (java.io.IOException x) {
            throw new java.io.UncheckedIOException(x);
        }
        try {
            Metadata auth = new Metadata();
            auth.put(
                    Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
                    "Bearer " + cluster.adminToken());
            MethodDescriptor<byte[], byte[]> raw = WorkspaceServiceGrpc.getGetWorkspaceMethod().toBuilder(BYTES, BYTES)
                    .build();
            ClientCalls.blockingUnaryCall(
                    io.grpc.ClientInterceptors.intercept(
                            channel, io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(auth)),
                    raw,
                    CallOptions.DEFAULT.withCompression(encoding).withDeadlineAfter(30, TimeUnit.SECONDS),
                    body);
            throw new AssertionError("the call succeeded");
        } catch (StatusRuntimeException e) {
            return e;
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void aHugeDomainIsRefusedWithoutEchoAndTheConnectionKeepsWorking() {
        String huge = "a".repeat(60_000) + ".example.com";
        var info = assertError(
                () -> cluster.admin()
                        .addDomain(AddDomainRequest.newBuilder()
                                .setRequestId("req-" + UUID.randomUUID())
                                .setWorkspaceId(UUID.randomUUID().toString())
                                .setDomain(huge)
                                .build())
                        .getOperation(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_DOMAIN_INVALID);
        assertThat(info.getMetadataMap().values())
                .allSatisfy(v -> assertThat(v.length()).isLessThan(300));
        StatusRuntimeException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                StatusRuntimeException.class,
                () -> cluster.admin()
                        .addDomain(AddDomainRequest.newBuilder()
                                .setRequestId("req-" + UUID.randomUUID())
                                .setWorkspaceId(UUID.randomUUID().toString())
                                .setDomain(huge)
                                .build())
                        .getOperation());
        assertThat(e.getStatus().getDescription()).hasSizeLessThan(1100);
        assertThat(cluster.admin()
                        .listRegions(ListRegionsRequest.getDefaultInstance())
                        .getRegionsCount())
                .isPositive();
    }

    @Test
    void aDurationThatWouldOverflowIsAFieldErrorNotInternal() {
        var info = assertError(
                () -> cluster.admin()
                        .createEnrollmentToken(CreateEnrollmentTokenRequest.newBuilder()
                                .setRegion(SpinUpCluster.REGION)
                                .setTtl(Duration.newBuilder()
                                        .setSeconds(Long.MIN_VALUE)
                                        .setNanos(-1))
                                .build()),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_FIELD_INVALID);
        assertThat(info.getMetadataMap()).containsEntry("field", "ttl");
    }

    @Test
    void aHelloWithANulInItsEdgeAddressIsRefusedAndNothingIsStored() throws Exception {
        SpinUpCluster.RegisteredHost host = cluster.registerHost(new Envelope(1, 1, 5));
        Received<Command> down = new Received<>();
        StreamObserver<AgentCommandsMessage> up =
                AgentServiceGrpc.newStub(cluster.hostChannel(host)).commands(down);
        up.onNext(AgentCommandsMessage.newBuilder()
                .setHello(SessionHello.newBuilder().setAgentInstanceId("x").setEdgeAddress("10.0.0.1:80\u0000evil"))
                .build());
        Throwable t = down.ended.get(30, TimeUnit.SECONDS);
        assertError(
                () -> {
                    throw (RuntimeException) t;
                },
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_FIELD_INVALID);
        boolean none = cluster.database()
                .withHandle(h -> h.createQuery("SELECT edge_address IS NULL FROM hosts WHERE id = :id")
                        .bind("id", host.id())
                        .mapTo(Boolean.class)
                        .one());
        assertThat(none).as("no edge address stored").isTrue();
    }

    @Test
    void eventsNoReplayCouldFixAreAckedWithTheRefusalKeptAndTheStreamGoesOn() throws Exception {
        SpinUpCluster.RegisteredHost host = cluster.registerHost(new Envelope(1, 1, 5));
        EventsStream stream = new EventsStream(cluster.hostChannel(host));
        List<EventAck> acks = stream.acks;
        StreamObserver<AgentEvent> events = stream.events;
        events.onNext(AgentEvent.newBuilder().setSeq(1).build()); // no kind: from a newer agent
        events.onNext(AgentEvent.newBuilder()
                .setSeq(2)
                .setCertificate(CertificateStatus.newBuilder()
                        .setDomain("shop.example.com")
                        .setState(CertState.CERT_STATE_ISSUED)
                        .setNotBefore(Timestamp.newBuilder().setSeconds(Long.MAX_VALUE)))
                .build());
        events.onNext(AgentEvent.newBuilder()
                .setSeq(3)
                .setHeartbeat(Heartbeat.getDefaultInstance())
                .build());

        Eventually.await(java.time.Duration.ofSeconds(30), "three acks", () -> acks.size() >= 3);
        assertThat(acks).extracting(EventAck::getAckedSeq).containsExactly(1L, 2L, 3L);
        assertThat(acks.get(0).getRefusedList())
                .singleElement()
                .satisfies(r -> assertThat(r.getReason()).isEqualTo("no_kind"));
        assertThat(acks.get(1).getRefusedList())
                .singleElement()
                .satisfies(r -> assertThat(r.getReason()).isEqualTo("out_of_range"));
        assertThat(acks.get(2).getRefusedList())
                .as("the heartbeat behind them is applied")
                .isEmpty();
        List<String> kept = cluster.database()
                .withHandle(
                        h -> h.createQuery("SELECT reason FROM refused_agent_events WHERE host_id = :host ORDER BY seq")
                                .bind("host", host.id())
                                .mapTo(String.class)
                                .list());
        assertThat(kept).containsExactly("no_kind", "out_of_range");
        assertThat(Workspaces.metric(cluster.metricsPort(), "spinup_agent_events_refused_total\\{reason=\"no_kind\"}")
                        .orElseThrow())
                .isGreaterThanOrEqualTo(1);
        events.onCompleted();
    }

    @Test
    void textFromAnAgentCannotStartALogLineOfItsOwn() throws Exception {
        SpinUpCluster.RegisteredHost host = cluster.registerHost(new Envelope(1, 1, 5));
        String marker = "FORGED-" + UUID.randomUUID();
        EventsStream stream = new EventsStream(cluster.hostChannel(host));
        List<EventAck> acks = stream.acks;
        StreamObserver<AgentEvent> events = stream.events;
        events.onNext(AgentEvent.newBuilder()
                .setSeq(1)
                .setProgress(CommandProgress.newBuilder()
                        .setCommandId("x/y")
                        .setMessage("working\n06:00:00.000 ERROR [main] ControlPlane event=" + marker))
                .build());
        Eventually.await(java.time.Duration.ofSeconds(30), "the ack", () -> !acks.isEmpty());
        events.onCompleted();

        List<String> log = Files.readAllLines(Path.of("target", "test-logs", "tests.log"));
        assertThat(log).as("no line of the agent's own").noneMatch(l -> l.startsWith("06:00:00.000 ERROR [main]"));
        assertThat(log)
                .filteredOn(l -> l.contains(marker))
                .singleElement()
                .satisfies(l -> assertThat(l).contains("working\\n06:00:00.000 ERROR"));
    }

    @Test
    void aCertificateForAHostNobodyRegisteredOpensNeitherStream() throws Exception {
        SpinUpCluster.RegisteredHost stranger = cluster.unregisteredHost();
        EventsStream stream = new EventsStream(cluster.hostChannel(stranger));
        stream.events.onNext(AgentEvent.newBuilder()
                .setSeq(1)
                .setHeartbeat(Heartbeat.getDefaultInstance())
                .build());
        Throwable t = stream.ended.get(30, TimeUnit.SECONDS);
        assertThat(stream.acks).as("nothing it sent was applied").isEmpty();
        assertError(
                () -> {
                    throw (RuntimeException) t;
                },
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_HOST_NOT_FOUND);
    }

    @Test
    void refusedClientCertificatesAreCountedByReason() throws Exception {
        CertificateAuthority foreign =
                CertificateAuthority.loadOrCreate(spinup.dir().resolve("foreign-ca"), "Foreign CA", Clock.systemUTC());
        foreign.issueHost(UUID.randomUUID())
                .writeTo(spinup.dir().resolve("foreign/host.crt"), spinup.dir().resolve("foreign/host.key"));
        handshake(spinup.dir().resolve("foreign/host.crt"), spinup.dir().resolve("foreign/host.key")); // another CA's
        selfSigned(spinup.dir().resolve("self/host.crt"), spinup.dir().resolve("self/host.key"));
        handshake(spinup.dir().resolve("self/host.crt"), spinup.dir().resolve("self/host.key")); // self-signed
        handshake(cluster.serverCertificate(), cluster.serverKey()); // a server's

        for (String reason : List.of("untrusted_issuer", "self_signed", "not_a_client_certificate")) {
            double refused = Workspaces.metric(
                            cluster.metricsPort(), "spinup_tls_handshake_failures_total\\{reason=\"" + reason + "\"}")
                    .orElse(0);
            assertThat(refused).as("handshakes refused for %s", reason).isGreaterThanOrEqualTo(1);
        }
        assertThat(Files.readAllLines(Path.of("target", "test-logs", "tests.log")))
                .anyMatch(l -> l.contains("event=tls_client_refused reason=not_a_client_certificate"));
    }

    /** A client certificate that signs itself, made as any host could. */
    private static void selfSigned(Path certificate, Path key) throws Exception {
        var pair = java.security.KeyPairGenerator.getInstance("EC");
        pair.initialize(256);
        var keys = pair.generateKeyPair();
        var name = new org.bouncycastle.asn1.x500.X500Name("CN=" + UUID.randomUUID());
        var now = java.time.Instant.now();
        var builder = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
                name,
                java.math.BigInteger.ONE,
                java.util.Date.from(now.minusSeconds(300)),
                java.util.Date.from(now.plusSeconds(86400)),
                name,
                keys.getPublic());
        builder.addExtension(
                org.bouncycastle.asn1.x509.Extension.keyUsage,
                true,
                new org.bouncycastle.asn1.x509.KeyUsage(org.bouncycastle.asn1.x509.KeyUsage.digitalSignature));
        builder.addExtension(
                org.bouncycastle.asn1.x509.Extension.extendedKeyUsage,
                false,
                new org.bouncycastle.asn1.x509.ExtendedKeyUsage(
                        org.bouncycastle.asn1.x509.KeyPurposeId.id_kp_clientAuth));
        var cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter()
                .getCertificate(
                        builder.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                                .build(keys.getPrivate())));
        new CertificateAuthority.Issued(CertificateAuthority.pem(cert), CertificateAuthority.pem(keys.getPrivate()))
                .writeTo(certificate, key);
    }

    /**
     * An agent call that presents the certificate whatever CAs the server names as acceptable (a
     * well-behaved TLS client would send none it knows the server cannot take; an attacker sends
     * what it has). Whether the handshake ends there or the call goes on as one without a
     * certificate, the agent RPC is refused.
     */
    private static void handshake(Path certificate, Path key) throws Exception {
        java.security.cert.X509Certificate cert = CertificateAuthority.readCertificate(certificate);
        java.security.PrivateKey privateKey = CertificateAuthority.readPrivateKey(key);
        javax.net.ssl.X509ExtendedKeyManager always = new javax.net.ssl.X509ExtendedKeyManager() {
            @Override
            public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
                return new String[] {"forced"};
            }

            @Override
            public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket s) {
                return "forced";
            }

            @Override
            public String chooseEngineClientAlias(
                    String[] keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
                return "forced";
            }

            @Override
            public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
                return null;
            }

            @Override
            public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket s) {
                return null;
            }

            @Override
            public java.security.cert.X509Certificate[] getCertificateChain(String alias) {
                return new java.security.cert.X509Certificate[] {cert};
            }

            @Override
            public java.security.PrivateKey getPrivateKey(String alias) {
                return privateKey;
            }
        };
        ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress(
                        "localhost", cluster.controlPlane().grpcPort())
                .sslContext(io.grpc.netty.GrpcSslContexts.forClient()
                        .keyManager(always)
                        .trustManager(cluster.caCertificate().toFile())
                        .build())
                .build();
        try {
            EventsStream stream = new EventsStream(channel);
            StreamObserver<AgentEvent> events = stream.events;
            CompletableFuture<Throwable> ended = stream.ended;
            events.onNext(AgentEvent.newBuilder()
                    .setSeq(1)
                    .setHeartbeat(Heartbeat.getDefaultInstance())
                    .build());
            assertThat(Status.fromThrowable(ended.get(30, TimeUnit.SECONDS)).getCode())
                    .as("the agent stream with %s", certificate)
                    .isIn(Status.Code.UNAVAILABLE, Status.Code.UNAUTHENTICATED);
            assertThat(stream.acks).as("nothing it sent was applied").isEmpty();
        } finally {
            channel.shutdownNow();
        }
    }
}
