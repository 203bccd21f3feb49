package dev.spinup.agent.drivers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** No step waits on a host tool for ever: one that hangs is killed at its timeout, with its children. */
class ExternalCommandTest {
    @Test
    void aToolThatHangsIsKilledAtItsTimeoutAndTheCallFailsWithAReason() {
        Instant started = Instant.now();
        DriverException e = catchThrowableOfType(
                DriverException.class,
                () -> ExternalCommand.run(
                        List.of("sh", "-c", "sleep 600 & wait"),
                        null,
                        new java.io.ByteArrayOutputStream(),
                        Duration.ofMillis(500)));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo("sh_timeout");
        assertThat(e.getMessage()).contains("ran longer than");
        assertThat(Duration.between(started, Instant.now())).isLessThan(Duration.ofSeconds(30));
        assertThat(ProcessHandle.allProcesses()
                        .filter(p -> p.info().commandLine().orElse("").contains("sleep 600")))
                .as("its children are gone too")
                .isEmpty();
    }

    @Test
    void aToolThatFinishesInTimeAnswersAsBefore() throws DriverException {
        assertThat(ExternalCommand.output(List.of("echo", "hello"))).isEqualTo("hello\n");
    }
}
