package dev.spinup.testing;

import dev.spinup.controlplane.ControlPlane;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The test clients' TLS channels to the control plane, trusting the test CA. Clients without a
 * certificate share one channel per replica, as a product backend would; a channel presenting a
 * client certificate is its own connection. All are closed with the cluster.
 */
final class ClientChannels implements AutoCloseable {
    private final Path caCertificate;
    private final Map<ControlPlane, ManagedChannel> shared = new HashMap<>();
    private final List<ManagedChannel> all = new ArrayList<>();

    ClientChannels(Path caCertificate) {
        this.caCertificate = caCertificate;
    }

    /** The one channel to {@code replica} that presents no client certificate. */
    synchronized ManagedChannel shared(ControlPlane replica) {
        return shared.computeIfAbsent(replica, r -> open(r, tls -> tls));
    }

    /** A new connection to {@code replica} presenting {@code certificate} (with its key). */
    synchronized ManagedChannel presenting(ControlPlane replica, Path certificate, Path key) {
        return open(replica, tls -> tls.keyManager(certificate.toFile(), key.toFile()));
    }

    private ManagedChannel open(ControlPlane replica, UnaryOperator<SslContextBuilder> tls) {
        try {
            ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", replica.grpcPort())
                    .sslContext(tls.apply(GrpcSslContexts.forClient().trustManager(caCertificate.toFile()))
                            .build())
                    .build();
            all.add(channel);
            return channel;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A replica stopped: its shared channel goes with it. */
    synchronized void forget(ControlPlane replica) {
        ManagedChannel channel = shared.remove(replica);
        if (channel != null) {
            channel.shutdownNow();
        }
    }

    @Override
    public synchronized void close() {
        all.forEach(ManagedChannel::shutdownNow);
        all.clear();
        shared.clear();
    }
}
