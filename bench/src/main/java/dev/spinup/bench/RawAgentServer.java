package dev.spinup.bench;

import dev.spinup.api.v1.AgentCommandsMessage;
import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.AgentServiceGrpc;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.EventAck;
import io.grpc.Server;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.ClientAuth;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The fan-in baseline: a bare grpc-java server speaking the agent protocol with nothing behind it
 * (same mTLS, same messages, each event acked as it arrives, no database, no session table).
 * Arguments: {@code <pki dir with server.crt, server.key, ca.crt> <port>}. Prints {@code @listening}.
 */
public final class RawAgentServer extends AgentServiceGrpc.AgentServiceImplBase {
    public static void main(String[] args) throws Exception {
        Path pki = Path.of(args[0]);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1])))
                .sslContext(GrpcSslContexts.forServer(
                                pki.resolve("server.crt").toFile(),
                                pki.resolve("server.key").toFile())
                        .trustManager(pki.resolve("ca.crt").toFile())
                        .clientAuth(ClientAuth.REQUIRE)
                        .build())
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .addService(new RawAgentServer())
                .build()
                .start();
        System.out.println("@listening " + server.getPort());
        server.awaitTermination();
    }

    @Override
    public StreamObserver<AgentCommandsMessage> commands(StreamObserver<Command> responseObserver) {
        return new StreamObserver<>() {
            @Override
            public void onNext(AgentCommandsMessage message) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
                responseObserver.onCompleted();
            }
        };
    }

    @Override
    public StreamObserver<AgentEvent> events(StreamObserver<EventAck> acks) {
        return new StreamObserver<>() {
            @Override
            public void onNext(AgentEvent event) {
                acks.onNext(EventAck.newBuilder().setAckedSeq(event.getSeq()).build());
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
                acks.onCompleted();
            }
        };
    }
}
