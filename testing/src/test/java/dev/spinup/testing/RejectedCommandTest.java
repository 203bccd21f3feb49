package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.AgentCommandsMessage;
import dev.spinup.api.v1.AgentServiceGrpc;
import dev.spinup.api.v1.Command;
import dev.spinup.api.v1.CommandAck;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.SessionHello;
import dev.spinup.controlplane.core.Envelope;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An agent that refuses a command (e.g. an older agent that does not know a command kind a newer
 * control plane sends) ends the step at once, with the agent's reason, rather than leaving the
 * operation waiting for a result until the step's deadline. The agent here is a bare client of the
 * real agent protocol over mTLS that acks every command as rejected.
 */
class RejectedCommandTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static final List<Command> received = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        // the provision step's deadline is 5 minutes, awaitDone waits 60 s: only the rejection ends it in time
        cluster = spinup.cluster();
        SpinUpCluster.RegisteredHost host = cluster.registerHost(new Envelope(4, 8, 50));
        cluster.database()
                .inTransactionVoid(
                        tx -> tx.fleet().heartbeat(host.id(), Clock.systemUTC().instant()));
        StreamObserver<AgentCommandsMessage>[] up = new StreamObserver[1];
        up[0] = AgentServiceGrpc.newStub(cluster.hostChannel(host)).commands(new StreamObserver<>() {
            @Override
            public void onNext(Command command) {
                received.add(command);
                synchronized (up) {
                    up[0].onNext(AgentCommandsMessage.newBuilder()
                            .setAck(CommandAck.newBuilder()
                                    .setCommandId(command.getCommandId())
                                    .setAccepted(false)
                                    .setRejectReason("the command has no kind"))
                            .build());
                }
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
        });
        synchronized (up) {
            up[0].onNext(AgentCommandsMessage.newBuilder()
                    .setHello(SessionHello.newBuilder().setAgentInstanceId("older-agent"))
                    .build());
        }
    }

    @Test
    void aRejectedCommandFailsItsStepAtOnceWithTheAgentsReason() {
        Operation op = cluster.product()
                .createWorkspace(Workspaces.hobby("refused").build())
                .getOperation();

        Operation done = Workspaces.awaitDone(cluster.product(), op.getId());

        assertThat(received).extracting(Command::getCommandId).contains(op.getId() + "/provision");
        assertThat(done.getStatus())
                .as("%s", done)
                .isIn(OperationStatus.OPERATION_STATUS_FAILED, OperationStatus.OPERATION_STATUS_ROLLED_BACK);
        assertThat(done.getError().getReason()).isEqualTo(ErrorReason.ERROR_REASON_AGENT_COMMAND_FAILED);
        assertThat(done.getError().getMessage()).contains("the agent rejected the command: the command has no kind");
        assertThat(Duration.ofSeconds(done.getCompletedAt().getSeconds()
                        - done.getRequestedAt().getSeconds()))
                .as("well before the provision step's 5-minute deadline")
                .isLessThan(Duration.ofMinutes(1));
    }
}
