package dev.spinup.agent.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spinup.api.v1.AgentEvent;
import dev.spinup.api.v1.CommandResult;
import dev.spinup.api.v1.Heartbeat;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventOutboxTest {
    @TempDir
    Path dir;

    private EventOutbox outbox(int capacity) {
        return new EventOutbox(Clock.systemUTC(), dir, capacity, EventOutbox.AgentMetrics.NONE);
    }

    private static AgentEvent.Builder heartbeat() {
        return AgentEvent.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance());
    }

    private static AgentEvent.Builder result(String id) {
        return AgentEvent.newBuilder().setResult(CommandResult.newBuilder().setCommandId(id));
    }

    @Test
    void unackedEventsAreReplayedInOrderOnTheNextSession() {
        EventOutbox outbox = outbox(100);
        Recorder first = new Recorder();
        outbox.attach(first);
        outbox.emit(heartbeat());
        outbox.emit(result("a"));
        outbox.emit(heartbeat());
        outbox.ack(1);
        outbox.detach(first);
        outbox.emit(result("b")); // while disconnected

        Recorder second = new Recorder();
        outbox.attach(second);

        assertThat(first.seqs()).containsExactly(1L, 2L, 3L);
        assertThat(second.seqs()).containsExactly(2L, 3L, 4L);
        outbox.ack(4);
        assertThat(outbox.depth()).isZero();
    }

    @Test
    void unackedResultsSurviveTheAgentDyingAndSeqStaysMonotonic() throws IOException {
        EventOutbox before = outbox(100);
        before.emit(result("done-and-acked"));
        before.emit(heartbeat());
        before.emit(result("lost-with-the-process"));
        before.ack(1);
        // no close(): the process dies here; a torn half-record at the end is what a crash mid-write leaves
        Files.write(dir.resolve("events.log"), new byte[] {0, 0, 0, 50, 1, 2}, StandardOpenOption.APPEND);

        EventOutbox after = outbox(100);
        Recorder replay = new Recorder();
        after.attach(replay);

        assertThat(replay.events)
                .extracting(e -> e.getResult().getCommandId())
                .containsExactly("lost-with-the-process");
        assertThat(after.emit(heartbeat())).isGreaterThan(3);
    }

    @Test
    void whenFullHeartbeatsGoFirstAndResultsWaitForRoom() throws Exception {
        EventOutbox outbox = outbox(3);
        outbox.emit(heartbeat());
        outbox.emit(result("r1"));
        outbox.emit(result("r2"));

        outbox.emit(result("r3")); // the heartbeat makes room
        assertThat(outbox.emit(heartbeat()))
                .as("a heartbeat into a buffer full of results is dropped")
                .isEqualTo(-1);

        CompletableFuture<Long> blocked = CompletableFuture.supplyAsync(() -> outbox.emit(result("r4")));
        assertThatThrownBy(() -> blocked.get(300, TimeUnit.MILLISECONDS))
                .as("back-pressure, not loss")
                .isInstanceOf(TimeoutException.class);
        Recorder recorder = new Recorder();
        outbox.attach(recorder);
        outbox.ack(recorder.seqs().getFirst());
        assertThat(blocked.get(10, TimeUnit.SECONDS)).isPositive();
        assertThat(recorder.events)
                .extracting(e -> e.getResult().getCommandId())
                .containsExactly("r1", "r2", "r3", "r4");
    }

    private static final class Recorder implements StreamObserver<AgentEvent> {
        final List<AgentEvent> events = new ArrayList<>();

        synchronized List<Long> seqs() {
            return events.stream().map(AgentEvent::getSeq).toList();
        }

        @Override
        public synchronized void onNext(AgentEvent value) {
            events.add(value);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
    }
}
