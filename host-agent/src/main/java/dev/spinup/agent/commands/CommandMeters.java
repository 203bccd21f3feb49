package dev.spinup.agent.commands;

import dev.spinup.api.v1.Command;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;

/**
 * What the agent's commands did, on /metrics: {@code spinup_agent_commands_total{kind,outcome}}
 * (succeeded, failed, rejected at accept, lost in a restart), {@code
 * spinup_agent_command_duration_seconds{kind}} (execution, lock wait included), and {@code
 * spinup_agent_driver_failures_total{kind,code}} (a failed command's error code). Every kind's
 * series exist from the start, at 0.
 */
final class CommandMeters {
    static final List<String> OUTCOMES = List.of("succeeded", "failed", "rejected", "lost_in_restart");

    private final MeterRegistry meters;

    CommandMeters(MeterRegistry meters) {
        this.meters = meters;
        for (Command.KindCase kind : Command.KindCase.values()) {
            for (String outcome : OUTCOMES) {
                meters.counter("spinup_agent_commands", "kind", kind.name(), "outcome", outcome);
            }
            if (kind != Command.KindCase.KIND_NOT_SET) {
                timer(kind);
            }
        }
    }

    void ended(Command.KindCase kind, String outcome, Duration took) {
        meters.counter("spinup_agent_commands", "kind", kind.name(), "outcome", outcome)
                .increment();
        timer(kind).record(took);
    }

    void refused(Command.KindCase kind, String outcome) {
        meters.counter("spinup_agent_commands", "kind", kind.name(), "outcome", outcome)
                .increment();
    }

    void driverFailed(Command.KindCase kind, String code) {
        meters.counter("spinup_agent_driver_failures", "kind", kind.name(), "code", code)
                .increment();
    }

    private Timer timer(Command.KindCase kind) {
        return meters.timer("spinup_agent_command_duration", "kind", kind.name());
    }
}
