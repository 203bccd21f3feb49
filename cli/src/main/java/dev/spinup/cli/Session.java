package dev.spinup.cli;

import dev.spinup.api.v1.WorkspaceServiceGrpc;
import dev.spinup.api.v1.WorkspaceServiceGrpc.WorkspaceServiceBlockingStub;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NegotiationType;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import picocli.CommandLine.Model.CommandSpec;

/** One command's connection to the control plane, its output and its request id. */
final class Session implements AutoCloseable {
    final Main flags;
    final Output out;
    final PrintWriter err;
    private final Settings settings;
    private ManagedChannel channel;

    private Session(CommandSpec spec) {
        this.flags = (Main) spec.root().userObject();
        this.out = new Output(spec.commandLine().getOut(), flags.json);
        this.err = spec.commandLine().getErr();
        this.settings = Settings.resolve(flags, System.getenv(), Path.of(""));
    }

    static Session of(CommandSpec spec) {
        return new Session(spec);
    }

    /** The stub, with the token and the call deadline. */
    WorkspaceServiceBlockingStub api() {
        if (channel == null) {
            channel = open();
        }
        WorkspaceServiceBlockingStub stub = WorkspaceServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(flags.timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (settings.token().isPresent()) {
            Metadata headers = new Metadata();
            headers.put(
                    Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
                    "Bearer " + settings.token().get());
            stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        return stub;
    }

    /**
     * The id a mutating request carries: the one given (a retry), else a new one, printed so that a
     * retry after a timeout can reuse it and get the same operation.
     */
    String requestId(String given) {
        if (given != null) {
            return given;
        }
        String id = "cli-" + UUID.randomUUID();
        err.println("request_id " + id + " (retry with --request-id " + id + ")");
        return id;
    }

    private ManagedChannel open() {
        String target = settings.server();
        int colon = target.lastIndexOf(':');
        if (colon <= 0 || colon == target.length() - 1) {
            throw new Failures.BadSetting("server '" + target + "' is not HOST:PORT (from " + settings.source() + ")");
        }
        int port;
        try {
            port = Integer.parseInt(target.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new Failures.BadSetting(
                    "server '" + target + "' has no numeric port (from " + settings.source() + ")");
        }
        SslContextBuilder tls = GrpcSslContexts.forClient();
        if (settings.ca().isPresent()) {
            Path ca = settings.ca().get();
            if (!Files.isReadable(ca)) {
                throw new Failures.BadSetting("the CA certificate " + ca + " is not readable");
            }
            tls.trustManager(ca.toFile());
        }
        try {
            return NettyChannelBuilder.forAddress(target.substring(0, colon), port)
                    .negotiationType(NegotiationType.TLS)
                    .sslContext(tls.build())
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new Failures.BadSetting(
                    "cannot use the CA certificate " + settings.ca().orElse(null) + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
    }
}
