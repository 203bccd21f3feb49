package dev.spinup.controlplane.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StepStateTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void stepsAdvanceInOrderAndKeepOutputs() {
        StepState s = StepState.initial(List.of("a", "b"));
        s = s.started(T0).done(T0.plusSeconds(1), Map.of("endpoint", "http://x"));
        assertThat(s.current().name()).isEqualTo("b");
        s = s.started(T0.plusSeconds(1)).done(T0.plusSeconds(2), Map.of());
        assertThat(s.current()).isNull();
        assertThat(s.outputs()).containsEntry("endpoint", "http://x");
        assertThat(s.steps()).allSatisfy(r -> assertThat(r.attempts()).isEqualTo(1));
    }

    @Test
    void startingAgainCountsAnotherAttemptButKeepsTheFirstStart() {
        StepState s = StepState.initial(List.of("a")).started(T0).started(T0.plusSeconds(5));
        assertThat(s.current().attempts()).isEqualTo(2);
        assertThat(s.current().startedAt()).isEqualTo(T0);
    }

    @Test
    void failureSwitchesToRollbackAndSkipsTheRest() {
        StepState s = StepState.initial(List.of("a", "b", "c"))
                .started(T0)
                .done(T0, Map.of())
                .started(T0)
                .failed(T0, "AGENT_COMMAND_FAILED", "boom")
                .rollingBack(List.of("undo"));
        assertThat(s.phase()).isEqualTo(StepState.Phase.ROLLBACK);
        assertThat(s.current().name()).isEqualTo("undo");
        assertThat(s.steps())
                .extracting(r -> r.name() + ":" + r.status())
                .containsExactly("a:DONE", "b:FAILED", "c:SKIPPED", "undo:PENDING");
        assertThat(s.failureReason()).isEqualTo("AGENT_COMMAND_FAILED");
        assertThat(s.failureMessage()).isEqualTo("boom");
    }

    @Test
    void survivesAJsonRoundTrip() {
        StepState s = StepState.initial(List.of("a")).started(T0).waiting("host h to report", T0, T0.plusSeconds(60));
        StepState back = dev.spinup.controlplane.postgres.Json.read(
                dev.spinup.controlplane.postgres.Json.write(s), StepState.class);
        assertThat(back).isEqualTo(s);
    }
}
