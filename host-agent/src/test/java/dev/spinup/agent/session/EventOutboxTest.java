package dev.spinup.agent.session;

import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.Heartbeat;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EventOutboxTest {
    private static final AgentEvent.Builder EVENT = AgentEvent.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance());

    @Test
    void unackedEventsAreReplayedInOrderOnTheNextSession() {
        EventOutbox outbox = new EventOutbox(Clock.systemUTC());
        Recorder first = new Recorder();
        outbox.attach(first);
        outbox.emit(EVENT.clone());
        outbox.emit(EVENT.clone());
        outbox.emit(EVENT.clone());
        outbox.ack(1);
        outbox.detach(first);
        outbox.emit(EVENT.clone()); // while disconnected

        Recorder second = new Recorder();
        outbox.attach(second);

        assertThat(first.seqs()).containsExactly(1L, 2L, 3L);
        assertThat(second.seqs()).containsExactly(2L, 3L, 4L);
        outbox.ack(4);
        assertThat(outbox.depth()).isZero();
    }

    private static final class Recorder implements StreamObserver<AgentEvent> {
        final List<AgentEvent> events = new ArrayList<>();

        List<Long> seqs() {
            return events.stream().map(AgentEvent::getSeq).toList();
        }

        @Override
        public void onNext(AgentEvent value) {
            events.add(value);
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }
}
